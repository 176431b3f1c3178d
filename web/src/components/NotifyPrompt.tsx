// A one-line offer to turn on desktop notifications while the browser has not been asked.
import { useState } from "react";
import { notificationsSupported } from "../matrix/notify";
import { useT } from "../i18n";
import { IconBell, IconClose } from "./icons";

const DISMISSED = "hearth.notifyPromptDismissed";

export default function NotifyPrompt() {
  const t = useT();
  const [hidden, setHidden] = useState(() => !notificationsSupported() || Notification.permission !== "default" || localStorage.getItem(DISMISSED) === "1");
  if (hidden) return null;
  const dismiss = () => {
    localStorage.setItem(DISMISSED, "1");
    setHidden(true);
  };
  return (
    <div className="notify-prompt" role="region" aria-label={t("notify.title")}>
      <IconBell size={16} />
      <span>{t("notify.prompt")}</span>
      <button className="btn small primary" onClick={() => Notification.requestPermission().finally(() => setHidden(true))}>
        {t("notify.enable")}
      </button>
      <button className="icon-btn" onClick={dismiss} aria-label={t("common.close")}>
        <IconClose size={14} />
      </button>
    </div>
  );
}
