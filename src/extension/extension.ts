import * as vscode from 'vscode';

/**
 * The extension host entry. It loads nothing heavy: the engine runs in its own process,
 * started on first use (the extension issue wires the commands, hovers and views).
 */
export function activate(context: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel('MechLens', { log: true });
  context.subscriptions.push(log, vscode.commands.registerCommand('mechlens.showLog', () => log.show()));
  log.info('MechLens activated');
}

export function deactivate(): void {}
