// `prepack` of the repository root: the root is the development workspace (scripts and test tools), not the npm
// package, so packing it would give a tarball without the .wasm. Refuses, and says how the package is packed.
console.error(`This is the development workspace, not the npm package: it has no .wasm.
The package is built into pkg/ and packed from there:
  npm run package                     # installs what is missing, builds pkg/, packs it
  npm pack ./pkg                      # after \`npm run build\`
  npm pack --dry-run ./pkg            # lists what it would hold (one .wasm)`);
process.exit(1);
