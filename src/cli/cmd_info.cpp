// ckpt info FILE [--json]: what the file is, at a glance.
#include <algorithm>
#include <iostream>
#include <map>

#include "cli/command.h"
#include "cli/output.h"
#include "core/distributed/layoutjson.h"
#include "core/format/loader.h"
#include "core/model/checkpointjson.h"
#include "tensor/tensorloader.h"

namespace ckpt::cli
{

namespace
{

// ShardedTensor/DTensor values of an ordinary file: how many of each type, who saved them, FSDP flat parameters.
nlohmann::json shardedSummaryJson(const Checkpoint& doc)
{
    std::map<std::string, int> types;
    nlohmann::json ranks = nlohmann::json::array(), flat = nlohmann::json::array();
    int64_t worldSize = -1;
    for (const TensorInfo& tensor : doc.tensors) {
        if (tensor.component || tensor.sharded < 0) continue;
        const ShardedValue& value = doc.shardedValues[static_cast<size_t>(tensor.sharded)];
        types[value.type]++;
        if (value.rank >= 0 && std::find(ranks.begin(), ranks.end(), value.rank) == ranks.end())
            ranks.push_back(value.rank);
        if (value.worldSize > 0) worldSize = value.worldSize;
        if (value.fsdpFlatParam) flat.push_back(pathToString(tensor.path));
    }
    return {{"types", types},
            {"ranks", ranks},
            {"world_size", worldSize > 0 ? nlohmann::json(worldSize) : nlohmann::json(nullptr)},
            {"fsdp_flat_params", flat}};
}

nlohmann::json infoJson(const Checkpoint& doc)
{
    std::map<std::string, int> dtypes, locations;
    uint64_t tensorCount = 0, storageBytes = 0;
    for (const TensorInfo& tensor : doc.tensors) {
        if (tensor.component) continue;
        ++tensorCount;
        dtypes[std::string(dtypeName(tensor.dtype))]++;
        locations[tensor.location]++;
    }
    for (const StorageInfo& storage : doc.storages)
        storageBytes += storage.nbytes;
    nlohmann::json dangerous = nlohmann::json::array();
    for (const GlobalRef& global : doc.globals)
        if (global.severity == Severity::Dangerous) dangerous.push_back(global.module + "." + global.name);
    for (const DangerousCall& call : doc.dangerousCalls)
        dangerous.push_back(call.loader->text + "." + call.loader->text2);
    const WeightSet* main = doc.mainWeightSet();
    std::string prefix = commonWrapperPrefix(doc);
    nlohmann::json wrappers = nlohmann::json::array();
    if (!prefix.empty()) wrappers.push_back(prefix);
    nlohmann::json findings = nlohmann::json::array();
    for (const Finding& finding : doc.findings)
        findings.push_back({{"severity", severityName(finding.severity)}, {"what", finding.what}});
    nlohmann::json out = {
        {"file", doc.file},
        {"format", formatName(doc.format)},
        {"kind", kindName(doc.kind)},
        {"file_bytes", doc.fileSize},
        {"tensors", tensorCount},
        {"storages", doc.storages.size()},
        {"tensor_bytes", storageBytes},
        {"parameters", doc.parameterCount()},
        {"weight_sets", doc.weightSets.size()},
        {"main_weight_set", main ? pathToJson(main->at) : nlohmann::json(nullptr)},
        {"main_weight_set_keys", main ? main->entries.size() : 0},
        {"dtypes", dtypes},
        {"locations", locations},
        {"wrapper_prefixes", wrappers},
        {"pickle_protocol", doc.pickleProtocol},
        {"security",
         {{"verdict", severityName(doc.verdict())}, {"dangerous", dangerous}, {"globals", doc.globals.size()}}},
        {"findings", findings}};
    if (doc.distributed) out["distributed"] = distributed::layoutSummaryJson(doc);
    if (!doc.shardedValues.empty()) out["sharded"] = shardedSummaryJson(doc);
    return out;
}

void printHuman(const nlohmann::json& info)
{
    auto join = [](const nlohmann::json& counts) {
        std::string text;
        for (auto it = counts.begin(); it != counts.end(); ++it)
            text += (text.empty() ? "" : ", ") + it.key() + " x" + std::to_string(it.value().get<int>());
        return text.empty() ? std::string("-") : text;
    };
    std::cout << "file:        " << info["file"].get<std::string>() << "\n"
              << "format:      " << info["format"].get<std::string>() << "\n"
              << "kind:        " << info["kind"].get<std::string>() << "\n"
              << "size:        " << humanBytes(info["file_bytes"].get<uint64_t>()) << "\n"
              << "tensors:     " << info["tensors"].get<uint64_t>() << " ("
              << humanBytes(info["tensor_bytes"].get<uint64_t>()) << " in " << info["storages"].get<size_t>()
              << " storages)\n"
              << "parameters:  " << info["parameters"].get<uint64_t>() << "\n"
              << "dtypes:      " << join(info["dtypes"]) << "\n"
              << "locations:   " << join(info["locations"]) << "\n";
    std::string wrappers;
    for (const auto& w : info["wrapper_prefixes"])
        wrappers += w.get<std::string>();
    std::cout << "wrapper:     " << (wrappers.empty() ? "none" : "`" + wrappers + "` on every key") << "\n";
    const auto& security = info["security"];
    std::cout << "security:    " << security["verdict"].get<std::string>();
    for (const auto& d : security["dangerous"])
        std::cout << " " << d.get<std::string>();
    std::cout << " (" << security["globals"].get<size_t>() << " globals; see `ckpt scan`)\n";
    if (info.contains("distributed")) {
        const auto& d = info["distributed"];
        std::cout << "directory:   " << d["kind"].get<std::string>() << ", " << d["rank_files"].size()
                  << " rank files, " << d["complete_tensors"].get<size_t>() << " of " << d["tensors"].get<size_t>()
                  << " tensors complete, " << humanBytes(d["consolidated_bytes"].get<uint64_t>()) << " consolidated";
        for (auto it = d["facts"].begin(); it != d["facts"].end(); ++it)
            std::cout << ", " << it.key() << " " << it.value().get<std::string>();
        std::cout << "\n";
    }
    if (info.contains("sharded")) {
        const auto& s = info["sharded"];
        std::cout << "sharded:     " << join(s["types"]) << " saved by rank";
        for (const auto& r : s["ranks"])
            std::cout << " " << r.get<int64_t>();
        if (!s["world_size"].is_null()) std::cout << " of " << s["world_size"].get<int64_t>();
        std::cout << " (one rank's pieces: see `ckpt tree`)\n";
    }
    for (const auto& f : info["findings"])
        std::cout << "finding:     [" << f["severity"].get<std::string>() << "] " << f["what"].get<std::string>()
                  << "\n";
}

struct InfoOptions {
    std::string file;
    bool json = false;
    bool devices = false;
};

// CUDA devices export targets can use; enumerating them loads only the small CUDA plugin, never LibTorch.
int printDevices(bool json)
{
    if (!json) {
        std::string text = tensor::describeCudaDevices();
        std::cout << text << (text.empty() || text.back() != '\n' ? "\n" : "");
        return ExitOk;
    }
    std::string why;
    nlohmann::json list = nlohmann::json::array();
    for (const tensor::CudaDevice& device : tensor::cudaDevices(&why))
        list.push_back({{"index", device.index},
                        {"name", device.name},
                        {"memory_bytes", device.totalMemory},
                        {"compute_capability", std::to_string(device.major) + "." + std::to_string(device.minor)}});
    printJson({{"devices", list}, {"note", why}});
    return ExitOk;
}

RegisterCommand registerInfo{{"info",
                              "Format, kind, tensor/parameter counts, bytes, dtypes, locations, wrapper "
                              "prefixes and the security verdict",
                              10, [](CLI::App& sub) -> Runner {
                                  auto options = std::make_shared<InfoOptions>();
                                  auto* file = sub.add_option("FILE", options->file, "Checkpoint to describe");
                                  sub.add_flag("--json", options->json, "Print JSON");
                                  sub.add_flag("--devices", options->devices,
                                               "List the CUDA devices this machine offers as export targets");
                                  return [options, file]() {
                                      if (options->devices) return printDevices(options->json);
                                      if (file->count() == 0) return reportUsage("info: FILE is required");
                                      auto doc = loadForCommand(options->file);
                                      if (!doc) return reportError(options->file, doc.error());
                                      nlohmann::json info = infoJson(*doc.value());
                                      if (options->json)
                                          printJson(info);
                                      else
                                          printHuman(info);
                                      return int(ExitOk);
                                  };
                              }}};

} // namespace

} // namespace ckpt::cli
