// Language and theme switches, shown on the sign-in screen and in settings.
import { LANGS, useI18n, type Lang } from "../i18n";
import { useThemeContext } from "../theme";

export function Preferences({ compact = false }: { compact?: boolean }) {
  const { lang, setLang, t } = useI18n();
  const { theme, setTheme } = useThemeContext();
  return (
    <div className={compact ? "prefs compact" : "prefs"}>
      <label className="field inline">
        <span>{t("settings.language")}</span>
        <select name="language" value={lang} onChange={(e) => setLang(e.target.value as Lang)}>
          {LANGS.map((l) => (
            <option key={l.id} value={l.id}>
              {l.label}
            </option>
          ))}
        </select>
      </label>
      <label className="field inline">
        <span>{t("settings.theme")}</span>
        <select name="theme" value={theme} onChange={(e) => setTheme(e.target.value as "light" | "dark")}>
          <option value="light">{t("settings.theme.light")}</option>
          <option value="dark">{t("settings.theme.dark")}</option>
        </select>
      </label>
    </div>
  );
}
