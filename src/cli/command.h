#pragma once

#include <functional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace ckpt::cli
{

// Exit codes of the CLI contract (docs/product.md).
enum ExitCode { ExitOk = 0, ExitFailure = 1, ExitUsage = 2, ExitFindings = 3 };

// A subcommand declares its options on `sub` and returns the function that runs it.
using Runner = std::function<int()>;
struct Command {
    std::string name;
    std::string summary;
    int order = 100; // position in `ckpt --help`
    std::function<Runner(CLI::App& sub)> setup;
};

std::vector<Command>& commandRegistry();

// Each cmd_*.cpp registers itself with a static RegisterCommand, so adding a subcommand touches one file.
struct RegisterCommand {
    explicit RegisterCommand(Command command) { commandRegistry().push_back(std::move(command)); }
};

} // namespace ckpt::cli
