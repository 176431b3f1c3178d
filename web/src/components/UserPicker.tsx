// Search the user directory; used to start chats and to invite people.
import { useEffect, useState } from "react";
import { useClient } from "../matrix/context";
import { isUserId } from "../matrix/rooms";
import { usePresence } from "../hooks/usePresence";
import { presenceKey, useT } from "../i18n";
import { Avatar } from "./Avatar";

export interface DirectoryUser {
  user_id: string;
  display_name?: string;
  avatar_url?: string;
}

function Row({ user, action, onAction, busy }: { user: DirectoryUser; action: string; onAction: (u: DirectoryUser) => void; busy: boolean }) {
  const client = useClient();
  const t = useT();
  const presence = usePresence(client, user.user_id);
  const name = user.display_name || user.user_id;
  return (
    <li className="user-row" data-user-id={user.user_id}>
      <Avatar id={user.user_id} name={name} mxc={user.avatar_url} size={36} presence={presence?.presence ?? null} presenceLabel={presence ? t(presenceKey(presence.presence)) : undefined} />
      <span className="user-text">
        <strong>{name}</strong>
        <span className="muted small">{presence?.statusMsg || user.user_id}</span>
      </span>
      <button className="btn small primary" onClick={() => onAction(user)} disabled={busy}>
        {action}
      </button>
    </li>
  );
}

export default function UserPicker({ action, onAction, busy = false, exclude = [] }: { action: string; onAction: (u: DirectoryUser) => void; busy?: boolean; exclude?: string[] }) {
  const client = useClient();
  const t = useT();
  const [term, setTerm] = useState("");
  const [results, setResults] = useState<DirectoryUser[]>([]);
  const [searching, setSearching] = useState(false);

  useEffect(() => {
    const q = term.trim();
    if (!q) {
      setResults([]);
      return;
    }
    let live = true;
    // Debounced so each keystroke does not hit the server.
    const timer = setTimeout(() => {
      setSearching(true);
      client
        .searchUserDirectory({ term: q, limit: 20 })
        .then((res) => {
          if (!live) return;
          const list: DirectoryUser[] = res.results;
          // A full user ID can be used even if the directory does not list it.
          if (isUserId(q) && !list.some((u) => u.user_id === q)) list.push({ user_id: q });
          setResults(list);
        })
        .catch(() => live && setResults(isUserId(q) ? [{ user_id: q }] : []))
        .finally(() => live && setSearching(false));
    }, 250);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [client, term]);

  const shown = results.filter((u) => u.user_id !== client.getUserId() && !exclude.includes(u.user_id));
  return (
    <div className="user-picker">
      <label className="field">
        <span>{t("contacts.searchLabel")}</span>
        <input type="search" value={term} onChange={(e) => setTerm(e.target.value)} placeholder={t("contacts.searchPlaceholder")} autoFocus />
      </label>
      {searching && <p className="muted small">{t("common.searching")}</p>}
      {!searching && term.trim() && shown.length === 0 && <p className="muted small">{t("contacts.none")}</p>}
      <ul className="user-list">
        {shown.map((u) => (
          <Row key={u.user_id} user={u} action={action} onAction={onAction} busy={busy} />
        ))}
      </ul>
    </div>
  );
}
