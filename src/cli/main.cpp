// ckpt: the command-line face of Checkpoint Inspector. Subcommands register themselves (command.h).
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <map>

#include "cli/command.h"
#include "cli/output.h"
#include "core/catchboundary.h"
#include "core/version.h"

namespace ckpt::cli
{

std::vector<Command>& commandRegistry()
{
    static std::vector<Command> commands;
    return commands;
}

namespace
{

// The catch boundary of every subcommand: whatever escapes the core (it should not) ends as one clear line and
// exit 1, never std::terminate's abort. Output already written stays, but each subcommand writes its document
// only once it has it whole, so a failure here leaves no partial JSON.
int runGuarded(const std::string& name, const Runner& runner)
{
    try {
        return runner();
    } catch (...) {
        std::string why = ckpt::currentExceptionAsError(name.c_str()).detail;
        std::fflush(stdout);
        std::cerr << "ckpt " << (why.empty() ? name + ": out of memory" : why) << "\n";
        return ExitFailure;
    }
}

} // namespace

} // namespace ckpt::cli

int main(int argc, char** argv)
{
    using namespace ckpt::cli;
    CLI::App app{"ckpt: inspect, compare and repair PyTorch checkpoints without Python.\n"
                 "Nothing inside a pickle is ever executed."};
    app.name("ckpt");
    app.require_subcommand(0, 1);
    bool showVersion = false;
    app.add_flag("--version", showVersion, "Print the version and exit");

    auto commands = commandRegistry();
    std::stable_sort(commands.begin(), commands.end(),
                     [](const Command& a, const Command& b) { return a.order < b.order; });
    std::map<CLI::App*, Runner> runners;
    for (const Command& command : commands) {
        CLI::App* sub = app.add_subcommand(command.name, command.summary);
        runners[sub] = command.setup(*sub);
    }
    // `ckpt help SUBCOMMAND` prints the same text as `ckpt SUBCOMMAND --help`.
    std::string helpTopic;
    CLI::App* help = app.add_subcommand("help", "Show help for a subcommand");
    help->add_option("subcommand", helpTopic, "The subcommand to describe");

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        app.exit(e);
        return ExitUsage;
    }
    if (showVersion) {
        std::cout << ckpt::versionText() << "\n";
        return ExitOk;
    }
    if (help->parsed()) {
        if (helpTopic.empty()) {
            std::cout << app.help();
            return ExitOk;
        }
        for (auto& [sub, runner] : runners)
            if (sub->get_name() == helpTopic) {
                std::cout << sub->help("ckpt");
                return ExitOk;
            }
        std::cerr << "ckpt: no subcommand named '" << helpTopic << "'\n";
        return ExitUsage;
    }
    for (auto& [sub, runner] : runners)
        if (sub->parsed()) {
            int code = runGuarded(sub->get_name(), runner);
            return code == ExitOk && incompleteInputSeen() ? ExitFailure : code; // a damaged directory
        }
    std::cout << app.help();
    return ExitUsage;
}
