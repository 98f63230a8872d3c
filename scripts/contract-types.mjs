// Rewrites dist/types/contract/index.d.ts without zod: every exported type of src/contract/index.ts (zod's
// `z.infer` of a schema) written out as the plain type it is, so the published types need no zod (a server dependency).
import { readFileSync, writeFileSync } from 'node:fs';
import ts from 'typescript';

export function writeContractTypes(root) {
  const source = `${root}src/contract/index.ts`;
  const program = ts.createProgram([source], { strict: true, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, skipLibCheck: true, noEmit: true });
  const checker = program.getTypeChecker();
  const file = program.getSourceFile(source);
  const flags = ts.TypeFormatFlags.NoTruncation | ts.TypeFormatFlags.InTypeAlias | ts.TypeFormatFlags.UseSingleQuotesForStringLiteralType;
  const out = [
    '// The types of the Tollgate server API (v1), written out from src/contract/index.ts by scripts/contract-types.mjs (no zod needed).',
    "export * from './status.js';",
  ];
  for (const statement of file.statements) {
    if (ts.isTypeAliasDeclaration(statement) && statement.modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)) {
      const type = checker.getTypeAtLocation(statement.name);
      out.push(`export type ${statement.name.text} = ${checker.typeToString(type, statement, flags)};`);
    }
  }
  const text = out.join('\n') + '\n';
  if (/\bz\.|zod/.test(text.split('\n').slice(1).join('\n'))) throw new Error('contract-types: a type still names zod');
  writeFileSync(`${root}dist/types/contract/index.d.ts`, text);
  return readFileSync(`${root}dist/types/contract/index.d.ts`, 'utf8').length;
}
