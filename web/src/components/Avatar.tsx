// Round avatar: the user's/room's picture through authenticated media, else an initial on a
// colour derived from the ID. Optional presence dot.
import { useClientValue } from "../matrix/context";
import { useMedia } from "../matrix/media";

const COLORS = ["#e8590c", "#1c7ed6", "#2f9e44", "#ae3ec9", "#f08c00", "#0c8599", "#d6336c", "#5f3dc4"];

export function colorFor(id: string): string {
  let h = 0;
  for (let i = 0; i < id.length; i++) h = (h * 31 + id.charCodeAt(i)) | 0;
  return COLORS[Math.abs(h) % COLORS.length];
}

export function initialOf(name: string): string {
  const clean = name.replace(/^[@#!+]/, "").trim();
  return (Array.from(clean)[0] ?? "?").toUpperCase();
}

interface Props {
  id: string;
  name: string;
  mxc?: string | null;
  size?: number;
  presence?: "online" | "unavailable" | "offline" | null;
  presenceLabel?: string;
}

export function Avatar({ id, name, mxc, size = 36, presence, presenceLabel }: Props) {
  const { mediaAuth } = useClientValue();
  const px = Math.min(256, size * 2);
  const { url } = useMedia(mxc ? mediaAuth : null, mxc ?? undefined, { w: px, h: px, method: "crop" });
  return (
    <span className="avatar" style={{ width: size, height: size, fontSize: size * 0.42 }} aria-hidden={presence ? undefined : true}>
      {url ? (
        <img src={url} alt="" width={size} height={size} />
      ) : (
        <span className="avatar-initial" style={{ background: colorFor(id) }}>
          {initialOf(name)}
        </span>
      )}
      {presence && <span className={`presence-dot ${presence}`} role="img" aria-label={presenceLabel ?? presence} title={presenceLabel ?? presence} />}
    </span>
  );
}
