import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { I18nProvider } from "../i18n";
import { ThemeContext, useTheme } from "../theme";
import Login from "../components/Login";
import { StatusIcon } from "../components/StatusIcon";
import EmojiPicker from "../components/EmojiPicker";
import type { ReactNode } from "react";

function Providers({ children }: { children: ReactNode }) {
  const [theme, setTheme] = useTheme();
  return (
    <ThemeContext.Provider value={{ theme, setTheme }}>
      <I18nProvider initial="en">{children}</I18nProvider>
    </ThemeContext.Provider>
  );
}

beforeEach(() => localStorage.clear());
afterEach(() => vi.unstubAllGlobals());

describe("StatusIcon", () => {
  it("labels each status for screen readers", () => {
    const { rerender } = render(
      <Providers>
        <StatusIcon status="delivered" />
      </Providers>,
    );
    expect(screen.getByRole("img", { name: "Delivered" })).toHaveAttribute("data-status", "delivered");
    rerender(
      <Providers>
        <StatusIcon status="read" />
      </Providers>,
    );
    expect(screen.getByRole("img", { name: "Read" })).toBeInTheDocument();
  });
});

describe("Login", () => {
  it("shows a friendly error for a wrong password", async () => {
    vi.stubGlobal("fetch", () => Promise.resolve(new Response(JSON.stringify({ errcode: "M_FORBIDDEN" }), { status: 403 })));
    const onLogin = vi.fn();
    render(
      <Providers>
        <Login onLogin={onLogin} />
      </Providers>,
    );
    await userEvent.type(screen.getByLabelText("Username"), "alice");
    await userEvent.type(screen.getByLabelText("Password"), "nope");
    await userEvent.click(screen.getAllByRole("button", { name: "Sign in" }).at(-1)!);
    expect(await screen.findByRole("alert")).toHaveTextContent("Wrong username or password.");
    expect(onLogin).not.toHaveBeenCalled();
  });

  it("checks that the passwords match when registering", async () => {
    render(
      <Providers>
        <Login onLogin={() => {}} />
      </Providers>,
    );
    await userEvent.click(screen.getByRole("tab", { name: "Create account" }));
    await userEvent.type(screen.getByLabelText("Username"), "alice");
    await userEvent.type(screen.getByLabelText("Password"), "one-password");
    await userEvent.type(screen.getByLabelText("Confirm password"), "another");
    await userEvent.click(screen.getAllByRole("button", { name: "Create account" }).at(-1)!);
    expect(await screen.findByRole("alert")).toHaveTextContent("The passwords do not match.");
  });

  it("switches language and theme from the sign-in screen", async () => {
    render(
      <Providers>
        <Login onLogin={() => {}} />
      </Providers>,
    );
    await userEvent.selectOptions(screen.getByLabelText("Language"), "zh-CN");
    expect(screen.getByRole("tab", { name: "注册账号" })).toBeInTheDocument();
    await userEvent.selectOptions(screen.getByLabelText("主题"), "dark");
    await waitFor(() => expect(document.documentElement.dataset.theme).toBe("dark"));
    expect(localStorage.getItem("hearth.theme")).toBe("dark");
  });
});

describe("EmojiPicker", () => {
  it("picks with the keyboard and closes on Escape", async () => {
    const onPick = vi.fn();
    const onClose = vi.fn();
    render(
      <Providers>
        <EmojiPicker onPick={onPick} onClose={onClose} />
      </Providers>,
    );
    await waitFor(() => expect(document.activeElement?.textContent).toBe("😀"));
    await userEvent.keyboard("{ArrowRight}{Enter}");
    expect(onPick).toHaveBeenCalledWith("😃");
    await userEvent.keyboard("{Escape}");
    expect(onClose).toHaveBeenCalled();
  });
});
