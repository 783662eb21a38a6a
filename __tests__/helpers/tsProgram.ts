import ts from 'typescript'

/** A TypeScript program over `files` with the package's module settings, for tests that read exports. */
export function tsProgram(files: string[]): ts.Program {
  return ts.createProgram(files, {
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    jsx: ts.JsxEmit.ReactJSX,
    target: ts.ScriptTarget.ES2022,
    skipLibCheck: true,
    noEmit: true,
  })
}
