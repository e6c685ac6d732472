"use strict";
// Drives code-server in headless Chromium: opens a policy, waits for the error squiggle and the code
// lenses, opens the Problems panel, hovers the squiggle and records what the editor shows as one JSON report on
// stdout; the pytest test makes the assertions. Then it sets bsm.server.pythonPath in the Settings
// editor to each of a list of interpreters and records the server state and the errors the
// extension reports. Takes one argument, a JSON object:
//   {url, folder, file, screenshot, probes: [text, ...], timeoutMs,
//    pythonPaths: [{value, fails}, ...], settingsScreenshot}
// Exits 1, after a screenshot, when the editor never shows what the report needs.

const fs = require("fs");
const os = require("os");
const path = require("path");
const { chromium } = require("playwright-core");

const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";

/** The token class (mtkN) and colour of the first rendered token span whose text, without the
 * surrounding blanks a plain token shares with its neighbours, is `text`. */
async function tokenOf(page, text) {
  return page.evaluate((wanted) => {
    for (const span of document.querySelectorAll(".monaco-editor .view-lines .view-line span span")) {
      if (span.textContent.replace(/\u00a0/g, " ").trim() === wanted) {
        const tokenClass = [...span.classList].find((name) => /^mtk\d+$/.test(name)) || null;
        return { text: wanted, tokenClass, color: getComputedStyle(span).color };
      }
    }
    return { text: wanted, tokenClass: null, color: null };
  }, text);
}

async function statusBarTexts(page) {
  return (await page.locator(".statusbar-item").allInnerTexts()).map((text) => text.trim()).filter(Boolean);
}

async function statusBarLabels(page) {
  return page.evaluate(() => [...document.querySelectorAll(".statusbar-item [aria-label]")]
    .map((item) => item.getAttribute("aria-label")));
}

/** Fills a Settings editor input and leaves it, again if the editor re-rendered the input away
 * meanwhile, until `predicate(argument)` holds in the page. */
async function setUntil(page, input, value, predicate, argument, timeout) {
  const deadline = Date.now() + timeout;
  for (;;) {
    await input.waitFor({ timeout });
    await input.fill(value);
    await input.press("Tab");
    try {
      await page.waitForFunction(predicate, argument, { timeout: 10000 });
      return;
    } catch (error) {
      if (Date.now() > deadline) {
        throw error;
      }
    }
  }
}

async function main() {
  const options = JSON.parse(process.argv[2]);
  const timeout = options.timeoutMs || 60000;
  const report = {
    steps: [], squiggles: 0, codeLenses: [], tokens: [], problems: [], hover: null, statusBar: [], statusLabels: [],
    pythonPaths: [],
  };
  const started = Date.now();
  const step = (name) => report.steps.push({ name, ms: Date.now() - started });

  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "bsm-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1400, height: 900 },
    args: [
      "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ],
  });
  const page = context.pages()[0] || (await context.newPage());
  try {
    const fileUri = `vscode-remote://${new URL(options.url).host}${options.folder}/${options.file}`;
    const payload = JSON.stringify([["openFile", fileUri]]);
    await page.goto(`${options.url}/?folder=${encodeURIComponent(options.folder)}&payload=${encodeURIComponent(payload)}`,
      { waitUntil: "domcontentloaded" });
    await page.waitForSelector(".monaco-workbench", { timeout });
    step("workbench");
    await page.locator(`.tab[data-resource-name="${options.file}"]`).waitFor({ timeout });
    await page.waitForSelector(".monaco-editor .view-lines .view-line", { timeout });
    step("editor");

    await page.waitForSelector(".monaco-editor .squiggly-error", { timeout });
    report.squiggles = await page.locator(".monaco-editor .squiggly-error").count();
    step("squiggle");

    await page.waitForSelector(".monaco-editor .codelens-decoration", { timeout });
    await page.waitForTimeout(500);
    report.codeLenses = await page.locator(".monaco-editor .codelens-decoration").allInnerTexts();

    for (const text of options.probes || []) {
      report.tokens.push(await tokenOf(page, text));
    }

    await page.keyboard.press("Control+Shift+P");
    await page.keyboard.type("View: Focus Problems");
    await page.waitForTimeout(800);
    await page.keyboard.press("Enter");
    await page.waitForSelector(".markers-panel .monaco-list-row", { timeout });
    // A row per file and a row per diagnostic; wait until the diagnostic rows are there.
    await page.waitForFunction(() => document.querySelectorAll(".markers-panel .monaco-list-row").length > 1,
      null, { timeout });
    report.problems = await page.locator(".markers-panel .monaco-list-row").allInnerTexts();
    step("problems");

    // The decoration sits under .view-lines, which takes the pointer events: move the mouse there.
    const box = await page.locator(".monaco-editor .squiggly-error").first().boundingBox();
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    try {
      await page.waitForSelector(".monaco-hover .hover-contents", { timeout: 15000 });
      await page.waitForTimeout(500);
      const hovers = await page.locator(".monaco-hover .hover-contents").allInnerTexts();
      report.hover = hovers.map((text) => text.trim()).filter(Boolean).join("\n");
    } catch {
      report.hover = null;
    }
    step("hover");

    report.statusBar = await statusBarTexts(page);
    report.statusLabels = await statusBarLabels(page);
    await page.screenshot({ path: options.screenshot });
    step("screenshot");

    // Set bsm.server.pythonPath in the Settings editor (the Remote tab, since the setting is
    // machine-overridable) to each value in turn; after each, wait until the server is no longer
    // starting and the status item names the value, and record the status bar and, for a value
    // that fails, the notifications.
    await page.keyboard.press("Control+Comma");
    await page.locator(".settings-editor .search-container textarea").first().waitFor({ timeout });
    await page.keyboard.press("Control+A");
    await page.keyboard.type("bsm.server.pythonPath");
    await page.locator(".settings-editor .settings-tabs-widget .action-label", { hasText: "Remote" }).click();
    const pythonPath = page.locator('.settings-editor .setting-item-contents input[type="text"]').first();
    for (const { value, fails } of options.pythonPaths) {
      await setUntil(page, pythonPath, value, (value) => {
        const texts = (selector, read) => [...document.querySelectorAll(selector)].map(read);
        const starting = texts(".statusbar-item", (item) => item.innerText).some((text) => text.includes("bsm: starting"));
        return !starting && texts(".statusbar-item [aria-label]", (item) => item.getAttribute("aria-label"))
          .some((label) => label.includes(value));
      }, value, timeout);
      const entry = { value, statusBar: await statusBarTexts(page), statusLabels: await statusBarLabels(page) };
      if (fails) {
        // Toasts come and go; the notification centre keeps every message.
        await page.locator('.statusbar-item[id="status.notifications"]').click();
        const message = page.locator(".notifications-center .notification-list-item-message", { hasText: value });
        await message.first().waitFor({ timeout });
        entry.notifications = await page.locator(".notifications-center .notification-list-item-message").allInnerTexts();
        await page.locator('.statusbar-item[id="status.notifications"]').click();
      }
      report.pythonPaths.push(entry);
      step(`python path ${value}`);
    }
    await page.locator('.statusbar-item[id="status.notifications"]').click();
    await page.locator(".notifications-center .notification-list-item-message").first().waitFor({ timeout });
    await page.screenshot({ path: options.settingsScreenshot });
    process.stdout.write(`${JSON.stringify(report)}\n`);
  } catch (error) {
    report.error = String(error && error.message ? error.message : error);
    report.statusBar = await page.locator(".statusbar-item").allInnerTexts().catch(() => []);
    await page.screenshot({ path: options.screenshot }).catch(() => {});
    process.stdout.write(`${JSON.stringify(report)}\n`);
    process.exitCode = 1;
  } finally {
    await context.close().catch(() => {});
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

main().catch((error) => {
  process.stderr.write(`${error && error.stack ? error.stack : error}\n`);
  process.exit(1);
});
