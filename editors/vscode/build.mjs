// Bundles the extension (node) and the chat view's page (browser: script, stylesheet, icon font)
// into dist/. `--production` minifies and leaves out source maps.
import { rmSync } from "node:fs";
import { build } from "esbuild";

const production = process.argv.includes("--production");
rmSync("dist", { recursive: true, force: true });
const common = { bundle: true, minify: production, sourcemap: !production, legalComments: production ? "eof" : "inline", logLevel: "warning" };

await Promise.all([
  build({ ...common, entryPoints: ["src/extension.ts"], outfile: "dist/extension.js", platform: "node", target: "node20", format: "cjs", external: ["vscode"] }),
  build({ ...common, entryPoints: ["src/webview/main.ts"], outfile: "dist/webview.js", platform: "browser", target: "chrome120", format: "iife" }),
  build({ ...common, entryPoints: ["src/webview/style.css"], outfile: "dist/webview.css", loader: { ".ttf": "file" }, assetNames: "[name]" }),
]);
