// ckpt scan FILE [--json]: every global the pickle imports, with a severity. Exit 3 when one is dangerous.
#include <iostream>

#include "cli/command.h"
#include "cli/output.h"
#include "core/format/loader.h"
#include "core/model/checkpointjson.h"

namespace ckpt::cli
{

namespace
{

struct ScanOptions {
    std::string file;
    bool json = false;
};

int runScan(const ScanOptions& options)
{
    auto loaded = loadForCommand(options.file);
    if (!loaded) return reportError(options.file, loaded.error());
    const Checkpoint& doc = *loaded.value();
    Severity verdict = doc.verdict();
    if (options.json) {
        nlohmann::json dangerousCalls = nlohmann::json::array();
        for (const DangerousCall& call : doc.dangerousCalls)
            dangerousCalls.push_back({{"loader", call.loader->text + "." + call.loader->text2},
                                      {"offset", call.node->offset},
                                      {"why", call.why}});
        nlohmann::json findings = nlohmann::json::array();
        for (const Finding& finding : doc.findings)
            findings.push_back({{"severity", severityName(finding.severity)}, {"what", finding.what}});
        printJson({{"file", doc.file},
                   {"format", formatName(doc.format)},
                   {"verdict", severityName(verdict)},
                   {"globals", globalsToJson(doc)},
                   {"dangerous_calls", dangerousCalls},
                   {"findings", findings}});
    } else {
        size_t count = doc.globals.size();
        std::cout << doc.file << ": " << severityName(verdict) << " (" << count << (count == 1 ? " global" : " globals")
                  << " imported; nothing was executed)\n";
        for (const GlobalRef& global : doc.globals) {
            std::string label = global.severity == Severity::Dangerous ? "DANGEROUS" : severityName(global.severity);
            label.resize(9, ' ');
            std::cout << "  " << label << " " << global.module << "." << global.name << "  x" << global.count << "  ("
                      << global.reason << ")" << (global.via.empty() ? "" : "  " + global.via) << "\n";
        }
        for (const DangerousCall& call : doc.dangerousCalls)
            std::cout << "  DANGEROUS call of " << call.loader->text << "." << call.loader->text2 << " at offset "
                      << call.node->offset << ": " << call.why << "\n";
        for (const Finding& finding : doc.findings)
            if (finding.severity != Severity::Dangerous) std::cout << "  note: " << finding.what << "\n";
    }
    return verdict == Severity::Dangerous ? ExitFindings : ExitOk;
}

RegisterCommand registerScan{{"scan", "Globals the pickle imports, with severity; exit 3 when something is dangerous",
                              30, [](CLI::App& sub) -> Runner {
                                  auto options = std::make_shared<ScanOptions>();
                                  sub.add_option("FILE", options->file, "Checkpoint to scan")->required();
                                  sub.add_flag("--json", options->json, "Print JSON");
                                  return [options]() { return runScan(*options); };
                              }}};

} // namespace

} // namespace ckpt::cli
