// ckpt tree FILE [--json]: every tensor and value, with its path from the root.
#include <iostream>

#include "cli/command.h"
#include "cli/output.h"
#include "core/format/loader.h"
#include "core/model/checkpointjson.h"

namespace ckpt::cli
{

namespace
{

void printHuman(const Checkpoint& doc)
{
    std::cout << doc.file << ": " << formatName(doc.format) << ", " << kindName(doc.kind) << "\n";
    for (const TensorInfo& tensor : doc.tensors) {
        if (tensor.component) continue;
        std::cout << "  " << pathToString(tensor.path) << "  " << dtypeName(tensor.dtype) << " "
                  << shapeText(tensor.shape) << "  " << tensor.location;
        if (tensor.layout != TensorLayout::Strided) std::cout << "  " << layoutName(tensor.layout);
        if (tensor.parameter) std::cout << "  parameter";
        if (tensor.sharded >= 0)
            std::cout << "  " << describeShardedValue(doc.shardedValues[static_cast<size_t>(tensor.sharded)]);
        if (!tensor.problem.empty()) std::cout << "  (" << tensor.problem << ")";
        std::cout << "\n";
    }
    for (const PlainValue& value : doc.values)
        std::cout << "  " << pathToString(value.path) << " = " << renderValue(value.value, 120) << "\n";
    for (const WeightSet& set : doc.weightSets)
        std::cout << "weight set at /" << pathToString(set.at) << (set.derived ? " (derived from the model)" : "")
                  << ": " << set.entries.size() << " keys\n";
}

struct TreeOptions {
    std::string file;
    bool json = false;
};

RegisterCommand registerTree{{"tree", "Every tensor and value", 20, [](CLI::App& sub) -> Runner {
                                  auto options = std::make_shared<TreeOptions>();
                                  sub.add_option("FILE", options->file, "Checkpoint to list")->required();
                                  sub.add_flag("--json", options->json, "Print JSON");
                                  return [options]() {
                                      auto doc = loadForCommand(options->file);
                                      if (!doc) return reportError(options->file, doc.error());
                                      if (options->json)
                                          printJson(treeToJson(*doc.value()));
                                      else
                                          printHuman(*doc.value());
                                      return int(ExitOk);
                                  };
                              }}};

} // namespace

} // namespace ckpt::cli
