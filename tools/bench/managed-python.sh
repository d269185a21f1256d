# Sourced by the bench scripts (needs the built CLI: npx nx run-many -t build).
# managed_python SET prints the interpreter of GPUX's managed Python environment SET (pytorch,
# tensorflow, ...) as `gpux-convert doctor` reports it: the environment of the current requirements,
# and only when it is complete. Prints nothing otherwise.
managed_python() {
  local repo
  repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
  { node "$repo/packages/cli/dist/bin.cjs" doctor --json 2>/dev/null || true; } | node -e '
    let text = "";
    process.stdin.on("data", (chunk) => (text += chunk)).on("end", () => {
      if (text.trim() === "") return;
      const report = JSON.parse(text.trim().split("\n").at(-1));
      const environment = (report.environments ?? []).find((entry) => entry.requirementSet === process.argv[1] && entry.status === "complete");
      if (environment !== undefined) process.stdout.write(environment.pythonExecutable);
    });' "$1"
}
