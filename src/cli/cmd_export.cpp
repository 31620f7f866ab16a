// `ckpt export IN OUT ...`: a repaired copy (keys renamed, locations remapped, optionally reduced to a plain
// state dict) as a torch zip or safetensors, verified by re-opening it before it is renamed into place.
#include <iostream>

#include "cli/command.h"
#include "cli/output.h"
#include "core/analysis/archresolver.h"
#include "core/analysis/keyaligner.h"
#include "core/distributed/consolidator.h"
#include "core/distributed/dcpwriter.h"
#include "core/edit/exporter.h"
#include "core/format/loader.h"

namespace ckpt::cli
{

namespace
{

struct ExportArgs;
int exportDirectory(const ExportArgs& args, const ExportOptions& options, const Checkpoint& input);
int exportDcpLayout(const ExportArgs& args, const ExportOptions& options, const CheckpointPtr& input);

struct ExportArgs {
    std::string input;
    std::string output;
    std::string layout;
    int worldSize = 0;
    std::vector<std::string> strip;
    std::vector<std::string> add;
    std::vector<std::string> drop;
    std::string against;
    std::string mapLocation;
    bool stateDictOnly = false;
    std::string select;
    std::string format = "torch";
    bool force = false;
    bool dropDangerous = false;
    bool dryRun = false;
    bool json = false;
};

// Prefixes name key components, so "module" and "module." mean the same thing on the command line.
std::string asPrefix(std::string prefix)
{
    if (!prefix.empty() && prefix.back() != '.') prefix += '.';
    return prefix;
}

// Errors about the destination name the output file; everything else is about the input.
bool aboutOutput(const Error& error)
{
    return error.status == Status::IoError || error.detail.rfind("the output", 0) == 0;
}

void printPlan(const RenamePlan& plan, const std::string& weightSet, const LocationMap& locations, bool all)
{
    std::cout << "plan: " << plan.describe() << "\n";
    std::cout << "state dict: " << (weightSet.empty() ? "(root)" : weightSet) << ", " << plan.changedCount() << " of "
              << plan.pairs().size() << " keys renamed\n";
    std::cout << "locations: " << locations.describe() << "\n";
    size_t shown = 0;
    for (const RenamePair& pair : plan.pairs()) {
        if (!pair.changed()) continue;
        if (!all && shown == 10) {
            std::cout << "  ... " << plan.changedCount() - shown << " more (see --dry-run)\n";
            break;
        }
        std::cout << "  " << pair.from << " -> " << pair.to << "\n";
        ++shown;
    }
}

int runExport(const ExportArgs& args)
{
    ExportOptions options;
    if (args.format == "safetensors")
        options.format = ExportFormat::Safetensors;
    else if (args.format != "torch")
        return reportUsage("--format must be torch or safetensors");
    if (args.layout == "single")
        options.layout = TargetLayout::Single;
    else if (args.layout == "dataparallel")
        options.layout = TargetLayout::DataParallel;
    else if (!args.layout.empty() && args.layout != "dcp")
        return reportUsage("--layout must be single, dataparallel or dcp");
    if ((args.layout == "dcp") != (args.worldSize != 0))
        return reportUsage("--layout dcp and --world-size N go together");
    if (!args.against.empty() && (!args.strip.empty() || !args.add.empty() || !args.drop.empty()))
        return reportUsage("--against infers the rename; do not combine it with --strip-prefix/--add-prefix");
    for (const std::string& prefix : args.strip)
        options.rule.stripPrefixes.push_back(asPrefix(prefix));
    for (const std::string& prefix : args.add)
        options.rule.addPrefixes.push_back(asPrefix(prefix));
    options.rule.dropComponents = args.drop;
    auto locations = LocationMap::parse(args.mapLocation);
    if (!locations) return reportUsage("--map-location: " + locations.error().detail);
    options.locations = locations.value();
    options.stateDictOnly = args.stateDictOnly;
    options.select = args.select;
    options.force = args.force;
    options.dropDangerous = args.dropDangerous;

    auto loaded = loadCheckpoint(args.input);
    if (!loaded) return reportError(args.input, loaded.error());
    CheckpointPtr input = loaded.value();
    if (args.layout == "dcp") return exportDcpLayout(args, options, input);
    if (input->distributed) return exportDirectory(args, options, *input);

    if (!args.against.empty()) {
        auto spec = resolveArchitecture(args.against);
        if (!spec) return reportError(args.against, spec.error());
        Exporter probe(input, options);
        const WeightSet* set = probe.weightSet();
        if (!set) return reportError(args.input, makeError(Status::Unsupported, "the file holds no state dict"));
        std::vector<std::string> keys, archKeys;
        for (const WeightEntry& entry : set->entries)
            keys.push_back(entry.key);
        for (const ArchEntry& entry : spec.value().entries)
            archKeys.push_back(entry.key);
        options.rule = alignKeys(keys, archKeys).rule;
    }

    Exporter exporter(input, options);
    auto plan = exporter.plan();
    if (!plan) return reportError(args.input, plan.error());
    const WeightSet* set = exporter.weightSet();
    std::string setPath = set ? pathToString(set->at) : std::string();
    if (args.dryRun) {
        if (args.json) {
            printJson({{"input", args.input},
                       {"output", args.output},
                       {"weight_set", setPath},
                       {"locations", options.locations.describe()},
                       {"plan", plan.value().toJson()}});
        } else {
            printPlan(plan.value(), setPath, options.locations, true);
        }
        return ExitOk;
    }
    auto report = exporter.run(args.output);
    if (!report) return reportError(aboutOutput(report.error()) ? args.output : args.input, report.error());
    const ExportReport& done = report.value();
    if (args.json) {
        nlohmann::json json = done.toJson();
        json["input"] = args.input;
        json["output"] = args.output;
        json["format"] = args.format;
        json["locations"] = options.locations.describe();
        json["verified"] = true;
        printJson(json);
    } else {
        printPlan(done.plan, setPath, options.locations, false);
        for (const DroppedValue& value : done.dropped) {
            if (value.action == "not written")
                std::cout << "dropped: " << value.global << ", not part of what was written\n";
            else
                std::cout << "dropped: " << value.global << " at " << (value.path.empty() ? "(root)" : value.path)
                          << ", " << value.action << "\n";
        }
        std::cout << "wrote " << args.output << " (" << args.format << ", " << humanBytes(done.fileBytes) << ", "
                  << done.records << (options.format == ExportFormat::Torch ? " storages" : " tensors") << ")\n";
        std::cout << "verified: " << done.tensors << " tensors and " << done.keys
                  << " keys read back with the same dtypes, shapes and bytes\n";
    }
    return ExitOk;
}

// A DCP or DeepSpeed directory: consolidate every global tensor into one file, streaming chunk rows.
int exportDirectory(const ExportArgs& args, const ExportOptions& options, const Checkpoint& input)
{
    if (!options.rule.stripPrefixes.empty() || !options.rule.addPrefixes.empty() || !args.against.empty() ||
        !args.layout.empty() || args.dryRun)
        return reportUsage("a distributed checkpoint directory is consolidated as it is: --layout, prefixes, "
                           "--against and --dry-run apply to single files");
    if (reportDirectoryProblems(input))
        return reportError(args.input, makeError(Status::Truncated, "the directory is incomplete (see above); "
                                                                    "nothing was written"));
    auto report = distributed::consolidate(input, args.output, options.format, options.force);
    if (!report)
        return reportError(report.error().status == Status::IoError ? args.output : args.input, report.error());
    const distributed::ConsolidateReport& done = report.value();
    if (args.json) {
        printJson({{"input", args.input},
                   {"output", args.output},
                   {"format", args.format},
                   {"consolidated", true},
                   {"tensors", done.tensors},
                   {"records", done.records},
                   {"payload_bytes", done.payloadBytes},
                   {"file_bytes", done.fileBytes},
                   {"verified", true},
                   {"items_not_written", done.itemsNotWritten}});
    } else {
        std::cout << "consolidated " << args.input << " into " << args.output << " (" << args.format << ", "
                  << humanBytes(done.fileBytes) << ", " << done.tensors << " tensors)\n"
                  << "verified: " << done.tensors << " keys read back with the same dtypes, shapes and bytes\n";
        if (!done.itemsNotWritten.empty()) {
            std::cout << "note: " << done.itemsNotWritten.size()
                      << " non-tensor item(s) of the directory are not in the consolidated file (it holds tensors "
                         "only):";
            for (const std::string& item : done.itemsNotWritten)
                std::cout << " " << item;
            std::cout << "\n";
        }
    }
    return ExitOk;
}

// `--layout dcp --world-size N`: the state dict's tensors as a torch 1.13 DCP directory, row-sharded over N ranks.
int exportDcpLayout(const ExportArgs& args, const ExportOptions& options, const CheckpointPtr& input)
{
    if (args.worldSize < 1) return reportUsage("--world-size must be at least 1");
    if (!options.rule.stripPrefixes.empty() || !options.rule.addPrefixes.empty() ||
        !options.rule.dropComponents.empty() || !args.against.empty() || !args.mapLocation.empty() ||
        args.stateDictOnly || args.dryRun || args.dropDangerous || args.format != "torch")
        return reportUsage("--layout dcp writes the state dict's tensors as they are: prefixes, --against, "
                           "--map-location, --state-dict-only, --drop-dangerous, --dry-run and --format do not "
                           "apply to it");
    // A DCP or ZeRO directory is resharded from its chunks: it must be complete first.
    if (input->distributed && reportDirectoryProblems(*input))
        return reportError(args.input, makeError(Status::Truncated, "the directory is incomplete (see above); "
                                                                    "nothing was written"));
    Exporter probe(input, options); // the state dict --select names, or the main one
    const WeightSet* set = probe.weightSet();
    if (!set) return reportError(args.input, makeError(Status::Unsupported, "the file holds no state dict"));
    auto report = distributed::writeDcp(*input, *set, args.output, args.worldSize, options.force);
    if (!report) return reportError(aboutOutput(report.error()) ? args.output : args.input, report.error());
    const distributed::DcpWriteReport& done = report.value();
    if (args.json) {
        printJson({{"input", args.input},
                   {"output", args.output},
                   {"layout", "dcp"},
                   {"torch_layout", "1.13"},
                   {"world_size", args.worldSize},
                   {"tensors", done.tensors},
                   {"chunks", done.chunks},
                   {"files", done.files},
                   {"payload_bytes", done.payloadBytes},
                   {"verified", true}});
    } else {
        std::cout << "wrote " << args.output << " (DCP, torch 1.13 layout, " << args.worldSize << " ranks: .metadata + "
                  << done.files << " rank files, " << done.tensors << " tensors in " << done.chunks << " chunks, "
                  << humanBytes(done.payloadBytes) << ")\n"
                  << "verified: every chunk read back with the same box, dtype and bytes\n";
    }
    return ExitOk;
}

const RegisterCommand registerExport{Command{
    "export", "Write a repaired copy: renamed keys, remapped devices, state dict, torch zip or safetensors", 70,
    [](CLI::App& sub) -> Runner {
        auto args = std::make_shared<ExportArgs>();
        sub.add_option("IN", args->input, "The checkpoint to read (never modified)")->required();
        sub.add_option("OUT", args->output, "The file to write")->required();
        sub.add_option("--layout", args->layout,
                       "single (no leading `module.`), dataparallel (one `module.`), or dcp (OUT is a "
                       "torch.distributed.checkpoint directory, row-sharded over --world-size ranks)")
            ->check(CLI::IsMember({"single", "dataparallel", "dcp"}));
        sub.add_option("--world-size", args->worldSize, "With --layout dcp: the number of ranks (N >= 1)");
        sub.add_option("--strip-prefix", args->strip, "Remove this leading prefix from every key (repeatable)");
        sub.add_option("--add-prefix", args->add, "Add this prefix to every key (repeatable)");
        sub.add_option("--drop-component", args->drop,
                       "Remove this inner wrapper component (`features.module.0.w` -> `features.0.w`; repeatable)");
        sub.add_option("--against", args->against, "Rename as the match against ARCH infers (builtin:NAME, file)");
        sub.add_option("--map-location", args->mapLocation, "cpu, cuda:N, or SRC=DST[,SRC=DST] (cuda:* matches all)");
        sub.add_flag("--state-dict-only", args->stateDictOnly, "Write only the state dict, as a plain OrderedDict");
        sub.add_option("--select", args->select, "The state dict to use, by path (e.g. `model`, `state_dict`)");
        sub.add_option("--format", args->format, "torch (zip) or safetensors")
            ->check(CLI::IsMember({"torch", "safetensors"}));
        sub.add_flag("--force", args->force, "Replace OUT if it exists");
        sub.add_flag("--drop-dangerous", args->dropDangerous,
                     "Write the file without the objects that use dangerous globals (listed as dropped) instead of "
                     "refusing it");
        sub.add_flag("--dry-run", args->dryRun, "Print the rename plan and write nothing");
        sub.add_flag("--json", args->json, "Print JSON");
        sub.footer("Exit status: 0 written and verified, 1 a file could not be read or written (or the export\n"
                   "was refused: collision, dangerous globals, existing output), 2 usage error.");
        return [args] { return runExport(*args); };
    }}};

} // namespace

} // namespace ckpt::cli
