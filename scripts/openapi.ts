// Writes dist/openapi.json (the package's `tollgate/openapi.json`): the server's OpenAPI document, its server a variable.
import { mkdirSync, writeFileSync } from 'node:fs';
import { openApiDocument } from '../server/openapi/document.js';

const out = new URL('../dist/openapi.json', import.meta.url);
mkdirSync(new URL('.', out), { recursive: true });
writeFileSync(out, JSON.stringify(openApiDocument()) + '\n');
