import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import en from "../i18n/en";
import zhCN from "../i18n/zh-CN";
import { I18nProvider, translate, useI18n } from "../i18n";

describe("translate", () => {
  it("fills placeholders", () => {
    expect(translate("en", "typing.one", { name: "Bob" })).toBe("Bob is typing…");
    expect(translate("zh-CN", "typing.one", { name: "Bob" })).toBe("Bob 正在输入…");
  });
  it("leaves unknown placeholders visible", () => {
    expect(translate("en", "typing.one")).toBe("{name} is typing…");
  });
  it("both catalogs have the same keys, none empty", () => {
    expect(Object.keys(zhCN).sort()).toEqual(Object.keys(en).sort());
    for (const v of [...Object.values(en), ...Object.values(zhCN)]) expect(v.trim()).not.toBe("");
  });
  it("placeholders match between languages", () => {
    const names = (s: string) => (s.match(/\{\w+\}/g) ?? []).sort().join();
    for (const key of Object.keys(en) as (keyof typeof en)[]) expect(names(zhCN[key])).toBe(names(en[key]));
  });
});

function Probe() {
  const { t, setLang, lang } = useI18n();
  return (
    <div>
      <p>{t("auth.signIn")}</p>
      <button onClick={() => setLang(lang === "en" ? "zh-CN" : "en")}>switch</button>
    </div>
  );
}

describe("I18nProvider", () => {
  beforeEach(() => localStorage.clear());
  it("switches language at runtime, remembers it and sets <html lang>", async () => {
    render(
      <I18nProvider initial="en">
        <Probe />
      </I18nProvider>,
    );
    expect(screen.getByText("Sign in")).toBeInTheDocument();
    await userEvent.click(screen.getByText("switch"));
    expect(screen.getByText("登录")).toBeInTheDocument();
    expect(localStorage.getItem("hearth.lang")).toBe("zh-CN");
    expect(document.documentElement.lang).toBe("zh-CN");
  });
});
