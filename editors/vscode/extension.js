// The fhirql extension only starts `fhirql lsp` and connects VS Code to it:
// every feature (diagnostics, hover, completion, navigation, rename,
// formatting, quick fixes, semantic highlighting) comes from the server, so
// the editor shows exactly what `fhirql check` reports.
'use strict';

const vscode = require('vscode');
const { LanguageClient, TransportKind } = require('vscode-languageclient/node');

let client;

function activate(context) {
  const cfg = vscode.workspace.getConfiguration('fhirql');
  const command = cfg.get('path') || 'fhirql';
  const args = ['lsp', '--debounce', cfg.get('debounce') || '40ms'];
  const serverOptions = {
    run: { command, args, transport: TransportKind.stdio },
    debug: { command, args, transport: TransportKind.stdio },
  };
  const clientOptions = {
    documentSelector: [
      { scheme: 'file', language: 'fview' },
      { scheme: 'untitled', language: 'fview' },
      { scheme: 'file', language: 'json', pattern: cfg.get('viewDefinitionGlob') || '**/*.json' },
      // queries over the views of their directory (docs/query.md)
      { scheme: 'file', language: 'sql', pattern: '**/*.sql' },
    ],
    synchronize: {
      // Views on disk that are not open still count: constants are shared by
      // every file of a directory.
      fileEvents: vscode.workspace.createFileSystemWatcher('**/*.{fview,json}'),
    },
  };
  client = new LanguageClient('fhirql', 'fhirql', serverOptions, clientOptions);
  context.subscriptions.push(
    vscode.commands.registerCommand('fhirql.restartServer', () => client.restart()),
  );
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
