import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderApiReference } from './api-reference.js';
import { renderCrdYaml } from './crd-yaml.js';

// Run by `npm run generate`; tests compare the checked-in files with this output.
const repoFile = (path: string): string =>
  fileURLToPath(new URL(`../../../${path}`, import.meta.url));

const outputs: [string, string][] = [
  ['crds/modeldeployments.modeldeploy.io.yaml', renderCrdYaml()],
  // Helm installs CRDs from the chart's crds/ directory: the same file, byte for byte.
  ['charts/modeldeploy/crds/modeldeployments.modeldeploy.io.yaml', renderCrdYaml()],
  ['docs/api-reference.md', renderApiReference()],
];
for (const [path, text] of outputs) {
  writeFileSync(repoFile(path), text);
  console.log(`wrote ${repoFile(path)}`);
}
