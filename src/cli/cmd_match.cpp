// `ckpt match FILE --against ARCH [--json]`: every key of the file's state dict checked against an architecture.
#include <iostream>

#include "cli/command.h"
#include "cli/output.h"
#include "core/analysis/archresolver.h"
#include "core/analysis/matchreport.h"
#include "core/format/loader.h"

namespace ckpt::cli
{

namespace
{

struct MatchOptions {
    std::string file;
    std::string against;
    bool json = false;
};

void printHuman(const MatchReport& report, const std::string& file, const std::string& against)
{
    std::cout << file << " against " << against << " (" << report.archSource << ", " << report.summary.archKeys
              << " keys)\n";
    std::cout << "rule: " << report.rule.describe() << "\n\n";
    std::vector<std::vector<std::string>> rows = {{"STATUS", "KEY", "ARCH KEY", "SHAPE", "ARCH SHAPE"}};
    for (const MatchEntry& e : report.entries) {
        bool hasKey = e.status != MatchStatus::Missing, hasArch = e.status != MatchStatus::Unexpected;
        std::string shape = hasKey ? shapeText(e.shape) : "-";
        std::string archShape = hasArch ? shapeText(e.archShape) : "-";
        if (e.status == MatchStatus::DTypeMismatch) {
            shape += " " + std::string(dtypeName(e.dtype));
            archShape += " " + std::string(dtypeName(e.archDtype));
        }
        rows.push_back({matchStatusName(e.status), hasKey ? e.key : "-", hasArch ? e.archKey : "-", shape, archShape});
    }
    std::cout << formatTable(rows) << "\n" << report.summaryText() << "\n";
}

int runMatch(const MatchOptions& options)
{
    auto spec = resolveArchitecture(options.against);
    if (!spec) return reportError(options.against, spec.error());
    auto loaded = loadForCommand(options.file);
    if (!loaded) return reportError(options.file, loaded.error());
    auto report = matchCheckpoint(*loaded.value(), spec.value());
    if (!report) return reportError(options.file, report.error());
    if (options.json) {
        nlohmann::json json = report.value().toJson();
        json["file"] = options.file;
        json["against"] = options.against;
        printJson(json);
    } else {
        printHuman(report.value(), options.file, options.against);
    }
    // Mismatches are findings (exit 3, as `scan`): 1 stays reserved for files that cannot be read.
    return report.value().clean() ? ExitOk : ExitFindings;
}

const RegisterCommand registerMatch{
    Command{"match", "Check a checkpoint's keys and shapes against an architecture", 40, [](CLI::App& sub) -> Runner {
                auto options = std::make_shared<MatchOptions>();
                sub.add_option("FILE", options->file, "The checkpoint to check")->required();
                sub.add_option("--against", options->against,
                               "builtin:NAME, a TorchScript archive, a checkpoint, or a JSON key list")
                    ->required();
                sub.add_flag("--json", options->json, "Print JSON");
                sub.footer("Exit status: 0 every key ok or fixable by the inferred rule, 3 mismatches found,\n"
                           "1 a file could not be read, 2 usage error.");
                return [options] { return runMatch(*options); };
            }}};

} // namespace

} // namespace ckpt::cli
