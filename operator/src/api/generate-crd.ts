import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderCrdYaml } from './crd-yaml.js';

// Run by `npm run generate`; the checked-in file is compared with this output by a test.
const target = fileURLToPath(
  new URL('../../../crds/modeldeployments.modeldeploy.io.yaml', import.meta.url),
);
writeFileSync(target, renderCrdYaml());
console.log(`wrote ${target}`);
