"use strict";
// Drives code-server in headless Chromium: opens a policy, waits for the error squiggle, opens the
// Problems panel, hovers the squiggle and records what the editor shows as one JSON report on
// stdout; the pytest test makes the assertions. Takes one argument, a JSON object:
//   {url, folder, file, screenshot, probes: [text, ...], timeoutMs}
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

async function main() {
  const options = JSON.parse(process.argv[2]);
  const timeout = options.timeoutMs || 60000;
  const report = { steps: [], problems: [], hover: null, tokens: [], statusBar: [], squiggles: 0 };
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

    report.statusBar = (await page.locator(".statusbar-item").allInnerTexts()).map((text) => text.trim()).filter(Boolean);
    await page.screenshot({ path: options.screenshot });
    step("screenshot");
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
