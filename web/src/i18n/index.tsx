// Tiny i18n: two flat message catalogs and a context. Every UI string goes through t().
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import en, { type MessageKey } from "./en";
import zhCN from "./zh-CN";

export type Lang = "en" | "zh-CN";
export const LANGS: { id: Lang; label: string }[] = [
  { id: "en", label: "English" },
  { id: "zh-CN", label: "简体中文" },
];
const catalogs: Record<Lang, Record<MessageKey, string>> = { en, "zh-CN": zhCN };
const STORAGE_KEY = "hearth.lang";

export type Vars = Record<string, string | number>;
export type TFunction = (key: MessageKey, vars?: Vars) => string;

/** Looks a key up and fills `{name}` placeholders. Falls back to English, then the key. */
export function translate(lang: Lang, key: MessageKey, vars?: Vars): string {
  const template = catalogs[lang]?.[key] ?? en[key] ?? key;
  if (!vars) return template;
  return template.replace(/\{(\w+)\}/g, (m, name: string) => (name in vars ? String(vars[name]) : m));
}

export function detectLang(): Lang {
  const stored = typeof localStorage !== "undefined" ? localStorage.getItem(STORAGE_KEY) : null;
  if (stored === "en" || stored === "zh-CN") return stored;
  const nav = typeof navigator !== "undefined" ? navigator.language : "en";
  return nav.toLowerCase().startsWith("zh") ? "zh-CN" : "en";
}

interface I18nValue {
  lang: Lang;
  setLang: (lang: Lang) => void;
  t: TFunction;
}

const I18nContext = createContext<I18nValue>({
  lang: "en",
  setLang: () => {},
  t: (key, vars) => translate("en", key, vars),
});

export function I18nProvider({ children, initial }: { children: ReactNode; initial?: Lang }) {
  const [lang, setLangState] = useState<Lang>(() => initial ?? detectLang());
  const setLang = useCallback((next: Lang) => {
    localStorage.setItem(STORAGE_KEY, next);
    setLangState(next);
  }, []);
  useEffect(() => {
    document.documentElement.lang = lang;
  }, [lang]);
  const t = useCallback<TFunction>((key, vars) => translate(lang, key, vars), [lang]);
  const value = useMemo(() => ({ lang, setLang, t }), [lang, setLang, t]);
  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export function useI18n(): I18nValue {
  return useContext(I18nContext);
}

export function useT(): TFunction {
  return useContext(I18nContext).t;
}

export type { MessageKey };

/** English needs a singular; Chinese uses the same text for every count. */
export function countKey(count: number, one: MessageKey, many: MessageKey): MessageKey {
  return count === 1 ? one : many;
}

export function presenceKey(p: "online" | "unavailable" | "offline"): MessageKey {
  return p === "online" ? "presence.online" : p === "unavailable" ? "presence.unavailable" : "presence.offline";
}
