"use strict";
// Starts the bsm language server for .bsm files, shows its state in the status bar and restarts it
// on request or when the server settings change.

const childProcess = require("child_process");
const fs = require("fs");
const os = require("os");
const path = require("path");
const vscode = require("vscode");
const {
  CloseAction,
  DidChangeConfigurationNotification,
  ErrorAction,
  LanguageClient,
  RevealOutputChannelOn,
  State,
} = require("vscode-languageclient/node");

const SECTION = "bsm";
const CRASH_WINDOW_MS = 3 * 60 * 1000;
const MAX_CRASHES = 4;

const STATUS = {
  starting: { icon: "$(sync~spin)", tooltip: "starting" },
  running: { icon: "$(check)", tooltip: "running; click to restart it" },
  stopped: { icon: "$(circle-slash)", tooltip: "stopped; click to start it" },
  error: { icon: "$(error)", tooltip: "could not run; click to try again, see the output for details" },
};

/** A setting that makes no sense, reported to the user instead of a failed spawn. */
class SettingError extends Error {}

let client;
let clientProcess;
let serverState;
let statusItem;
let outputChannel;
let policyWatcher;
let pending = Promise.resolve();

function workspaceFolderPath() {
  const folders = vscode.workspace.workspaceFolders;
  return folders && folders.length > 0 && folders[0].uri.scheme === "file" ? folders[0].uri.fsPath : undefined;
}

function expandVariables(value, folder) {
  return value
    .replace(/\$\{workspaceFolder\}/g, folder || "")
    .replace(/\$\{userHome\}/g, os.homedir())
    .replace(/^~(?=$|[\\/])/, os.homedir());
}

function isExecutableFile(candidate) {
  try {
    fs.accessSync(candidate, fs.constants.X_OK);
    return fs.statSync(candidate).isFile();
  } catch {
    return false;
  }
}

/** The absolute path of a program named in a setting, or undefined when there is none. */
function findProgram(program, folder) {
  if (program.includes("/") || program.includes("\\")) {
    const candidate = path.resolve(folder || process.cwd(), program);
    return isExecutableFile(candidate) ? candidate : undefined;
  }
  const suffixes = process.platform === "win32" ? ["", ...(process.env.PATHEXT || ".EXE;.CMD;.BAT").split(";")] : [""];
  for (const directory of (process.env.PATH || "").split(path.delimiter).filter(Boolean)) {
    for (const suffix of suffixes) {
      const candidate = path.join(directory, program + suffix);
      if (isExecutableFile(candidate)) {
        return candidate;
      }
    }
  }
  return undefined;
}

/** The program and arguments that start the server, from bsm.server.pythonPath or bsm.server.command. */
function serverExecutable(config, folder) {
  const pythonPath = (config.get("server.pythonPath") || "").trim();
  let setting;
  let command;
  if (pythonPath) {
    setting = "bsm.server.pythonPath";
    command = [pythonPath, "-m", "bsm_rules.cli", "lsp"];
  } else {
    setting = "bsm.server.command";
    command = config.get("server.command");
    if (!Array.isArray(command) || command.length === 0 || command.some((part) => typeof part !== "string")
        || !command[0].trim()) {
      throw new SettingError(
        `${setting} must be a list of strings, a program followed by its arguments, such as ["bsm", "lsp"].`);
    }
  }
  const [program, ...args] = command.map((part) => expandVariables(part, folder));
  const resolved = findProgram(program, folder);
  if (!resolved) {
    throw new SettingError(
      `Cannot start the bsm language server: the program "${program}" from ${setting} was not found`
      + (program.includes("/") || program.includes("\\") ? "." : " on the PATH.")
      + " Install bsm-rules, or point bsm.server.command or bsm.server.pythonPath at an environment that"
      + " has it.");
  }
  return { setting, command: resolved, args, cwd: folder };
}

function showStatus(state, detail) {
  const { icon, tooltip } = STATUS[state];
  serverState = state;
  statusItem.text = `${icon} bsm: ${state}`;
  statusItem.tooltip = `bsm language server: ${detail || tooltip}`;
  statusItem.accessibilityInformation = { label: statusItem.tooltip };
  statusItem.backgroundColor = state === "error" ? new vscode.ThemeColor("statusBarItem.errorBackground") : undefined;
  statusItem.show();
}

/** The settings the server reads, sent as initializationOptions and on every change. */
function serverSettings(config) {
  return { bsm: { samples: config.get("samples"), debounceMs: config.get("debounceMs") } };
}

/** Restarts the server when its command changes; passes the other settings on to it. */
function configurationChanged(event) {
  if (event.affectsConfiguration("bsm.server")) {
    restartServer();
  } else if (event.affectsConfiguration(SECTION) && client && client.isRunning()) {
    const settings = serverSettings(vscode.workspace.getConfiguration(SECTION));
    client.sendNotification(DidChangeConfigurationNotification.type, { settings }).catch((error) => {
      outputChannel.appendLine(`Sending the settings to the server failed: ${error && error.message ? error.message : error}`);
    });
  }
}

/** Shows why the server is not running; the notification's buttons lead to the fix. */
function reportFailure(message) {
  showStatus("error", message);
  outputChannel.appendLine(message);
  vscode.window.showErrorMessage(message, "Open Settings", "Show Output").then((choice) => {
    if (choice === "Open Settings") {
      vscode.commands.executeCommand("workbench.action.openSettings", "bsm.server");
    } else if (choice === "Show Output") {
      outputChannel.show(true);
    }
  });
}

function delay(milliseconds) {
  return new Promise((settle) => setTimeout(settle, milliseconds));
}

/** Starts and ends the server process for the client (`start` is the client's server options) and
 * keeps what is known about it: the last line it wrote to stderr, and when it ended. */
function serverProcess({ command, args, cwd }) {
  const run = { child: undefined, lastError: "", ended: Promise.resolve() };
  run.start = () => new Promise((resolve, reject) => {
    const child = childProcess.spawn(command, args, { cwd, env: process.env });
    run.child = child;
    run.ended = new Promise((settle) => child.on("close", settle));
    child.on("exit", (code, signal) => {
      outputChannel.appendLine(`The bsm language server exited (${signal ? `signal ${signal}` : `status ${code}`}).`);
    });
    child.stderr.on("data", (data) => {
      const lines = String(data).split(/\r?\n/).map((line) => line.trim()).filter(Boolean);
      if (lines.length > 0) {
        run.lastError = lines[lines.length - 1];
      }
    });
    child.on("error", reject);
    child.on("spawn", () => resolve(child));
  });
  /** Waits for the process to end after the client's exit notification; kills it if it does not. */
  run.stop = async () => {
    await Promise.race([run.ended, delay(2000)]);
    if (run.child && run.child.exitCode === null && run.child.signalCode === null) {
      run.child.kill();
    }
  };
  return run;
}

/** Restarts a server that crashes after it started, up to MAX_CRASHES times in CRASH_WINDOW_MS;
 * a server that never started is left stopped, and startServer reports why. */
function crashHandler(hasStarted) {
  const crashes = [];
  return {
    error: () => ({ action: ErrorAction.Continue, handled: !hasStarted() }),
    closed: () => {
      if (!hasStarted()) {
        return { action: CloseAction.DoNotRestart, handled: true };
      }
      const now = Date.now();
      crashes.push(now);
      while (crashes.length > 0 && now - crashes[0] > CRASH_WINDOW_MS) {
        crashes.shift();
      }
      if (crashes.length <= MAX_CRASHES) {
        outputChannel.appendLine("The bsm language server stopped unexpectedly; restarting it.");
        return { action: CloseAction.Restart, handled: true };
      }
      reportFailure(`The bsm language server stopped ${crashes.length} times in three minutes and will not be`
        + " restarted. See the output for its error; run \"BSM: Restart Language Server\" to try again.");
      return { action: CloseAction.DoNotRestart, handled: true };
    },
  };
}

async function startServer() {
  const folder = workspaceFolderPath();
  const config = vscode.workspace.getConfiguration(SECTION);
  let executable;
  try {
    executable = serverExecutable(config, folder);
  } catch (error) {
    if (error instanceof SettingError) {
      reportFailure(error.message);
      return;
    }
    throw error;
  }
  const commandLine = [executable.command, ...executable.args].join(" ");
  outputChannel.appendLine(`Starting the bsm language server: ${commandLine}`);
  showStatus("starting", commandLine);
  let started = false;
  const run = serverProcess(executable);
  const clientOptions = {
    documentSelector: [
      { scheme: "file", language: "bsm" },
      { scheme: "untitled", language: "bsm" },
    ],
    diagnosticCollectionName: "bsm",
    // Policies changed outside the editor (an included file saved by another tool) are checked again.
    synchronize: { fileEvents: policyWatcher },
    initializationOptions: serverSettings(config),
    outputChannel,
    revealOutputChannelOn: RevealOutputChannelOn.Never,
    errorHandler: crashHandler(() => started),
  };
  const candidate = new LanguageClient("bsm", "bsm language server", run.start, clientOptions);
  candidate.onDidChangeState(({ newState }) => {
    if (candidate !== client) {
      return;
    }
    if (newState === State.Running) {
      started = true;
      showStatus("running", `running (${commandLine})`);
    } else if (newState === State.Starting) {
      showStatus("starting", commandLine);
    } else if (serverState !== "error") {
      showStatus("stopped");
    }
  });
  client = candidate;
  clientProcess = run;
  let failure;
  try {
    await candidate.start();
  } catch (error) {
    failure = error;
  }
  // start() also resolves without a running server when the server exits during initialisation.
  if (candidate.isRunning()) {
    return;
  }
  candidate.dispose(2000).catch(() => {});
  // The process may still be writing its error: give it a moment to end.
  await Promise.race([run.ended, delay(1000)]);
  run.stop();
  if (candidate === client) {
    client = undefined;
    clientProcess = undefined;
    const reason = run.lastError || (failure && failure.message) || "the server stopped before it answered";
    reportFailure(`Cannot start the bsm language server with "${commandLine}" (from ${executable.setting}):`
      + ` ${reason.replace(/[.\s]*$/, ".")} Check that bsm-rules is installed there; the output has the details.`);
  }
}

async function stopServer() {
  const [running, runningProcess] = [client, clientProcess];
  client = undefined;
  clientProcess = undefined;
  if (running) {
    try {
      await running.dispose(2000);
    } catch (error) {
      outputChannel.appendLine(`Stopping the bsm language server failed: ${error && error.message ? error.message : error}`);
    }
    await runningProcess.stop();
  }
}

/** Runs server starts and stops one after another, never overlapping. */
function serialized(action) {
  pending = pending.then(action, action);
  return pending;
}

function restartServer() {
  return serialized(async () => {
    await stopServer();
    await startServer();
  });
}

function activate(context) {
  outputChannel = vscode.window.createOutputChannel("BSM Language Server");
  statusItem = vscode.window.createStatusBarItem("bsm.server", vscode.StatusBarAlignment.Left, 0);
  statusItem.name = "bsm language server";
  statusItem.command = "bsm.restartServer";
  policyWatcher = vscode.workspace.createFileSystemWatcher("**/*.bsm");
  context.subscriptions.push(
    outputChannel,
    statusItem,
    policyWatcher,
    vscode.commands.registerCommand("bsm.restartServer", restartServer),
    vscode.commands.registerCommand("bsm.showOutput", () => outputChannel.show(true)),
    vscode.workspace.onDidChangeConfiguration(configurationChanged),
  );
  return serialized(startServer);
}

function deactivate() {
  return serialized(stopServer);
}

module.exports = { activate, deactivate };
