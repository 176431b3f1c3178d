// A compact emoji set for the picker and quick reactions (no external data file).
export const QUICK_REACTIONS = ["👍", "❤️", "😂", "🎉", "😮", "😢"];

export interface EmojiGroup {
  id: "smileys" | "people" | "nature" | "food" | "activity" | "objects" | "symbols";
  icon: string;
  emoji: string[];
}

const g = (s: string) => Array.from(new Intl.Segmenter("en", { granularity: "grapheme" }).segment(s.replace(/\s+/g, "")), (x) => x.segment);

export const EMOJI_GROUPS: EmojiGroup[] = [
  { id: "smileys", icon: "😀", emoji: g("😀😃😄😁😆😅🤣😂🙂🙃😉😊😇🥰😍🤩😘😗😚😙😋😛😜🤪😝🤑🤗🤭🤫🤔🤐🤨😐😑😶😏😒🙄😬😌😔😪🤤😴😷🤒🤕🤢🤮🥵🥶🥴😵🤯🤠🥳😎🤓🧐😕😟🙁😮😯😲😳🥺😦😧😨😰😥😢😭😱😖😣😞😓😩😫🥱😤😡😠🤬😈👿💀💩🤡👻👽🤖") },
  { id: "people", icon: "👋", emoji: g("👋🤚🖐✋🖖👌🤌🤏✌🤞🤟🤘🤙👈👉👆👇☝👍👎✊👊🤛🤜👏🙌👐🤲🤝🙏✍💪🦾🧠👀👁👅👄👶🧒👦👧🧑👨👩🧓👴👵🙋🙇🤦🤷💁🙆🙅") },
  { id: "nature", icon: "🐶", emoji: g("🐶🐱🐭🐹🐰🦊🐻🐼🐨🐯🦁🐮🐷🐸🐵🐔🐧🐦🐤🦆🦅🦉🐺🐗🐴🦄🐝🐛🦋🐌🐞🐢🐍🐙🦑🦀🐠🐟🐬🐳🐋🦈🌵🎄🌲🌳🌴🌱🌿☘🍀🍁🍂🍃🌷🌹🥀🌺🌸🌼🌻🌞🌝🌛⭐🌟✨⚡🔥🌈☀⛅☁🌧⛄❄💧🌊") },
  { id: "food", icon: "🍎", emoji: g("🍏🍎🍐🍊🍋🍌🍉🍇🍓🫐🍈🍒🍑🥭🍍🥥🥝🍅🍆🥑🥦🥬🥒🌶🌽🥕🥔🍠🥐🥯🍞🥖🧀🥚🍳🥞🧇🥓🥩🍗🍖🌭🍔🍟🍕🥪🌮🌯🥗🍝🍜🍲🍛🍣🍱🥟🍤🍙🍚🍘🍥🥮🍢🍡🍧🍨🍦🥧🧁🍰🎂🍮🍭🍬🍫🍿🍩🍪☕🍵🧋🥤🍺🍻🥂🍷") },
  { id: "activity", icon: "⚽", emoji: g("⚽🏀🏈⚾🥎🎾🏐🏉🥏🎱🏓🏸🏒🥅⛳🏹🎣🥊🥋🎽🛹⛸🎿🏂🏋🤸⛹🤺🏊🚴🏆🥇🥈🥉🏅🎖🎗🎫🎟🎪🎭🎨🎬🎤🎧🎼🎹🥁🎷🎺🎸🎻🎲♟🎯🎳🎮🎰🧩") },
  { id: "objects", icon: "💡", emoji: g("⌚📱💻⌨🖥🖨🖱💾💿📷📸📹🎥📞☎📺📻⏰⌛⏳📡🔋🔌💡🔦🕯💸💵💰💳💎🔧🔨🛠⚙🧲🔫💣🔪🛡🚬🔮🧿💈🔭🔬🩹💊💉🧬🌡🧹🧺🧻🚽🛁🔑🗝🚪🛋🛏🧸🎁🎈🎀🎊🎉✉📩📦📜📄📑📊📈📉📅📆📌📎✂📝✏🔍🔒🔓") },
  { id: "symbols", icon: "❤️", emoji: g("❤🧡💛💚💙💜🖤🤍🤎💔❣💕💞💓💗💖💘💝💟☮✝☪🕉☸✡☯☦⛎♈♉♊♋♌♍♎♏♐♑♒♓🆔⚛✅☑✔❌❎➕➖➗➰➿〽✳✴❇‼⁉❓❔❕❗💯🔅🔆⚠🚸🔱⚜🔰♻🌀💤🎵🎶➡⬅⬆⬇↗↘↙↖↕↔🔄🆗🆒🆕🆓🆙🔴🟠🟡🟢🔵🟣⚫⚪") },
];
