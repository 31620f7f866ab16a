// `ckpt arch list | show NAME [--json]`: the built-in torchvision architecture catalog.
#include <iostream>

#include "cli/command.h"
#include "cli/output.h"
#include "core/analysis/architecturecatalog.h"
#include "core/analysis/matchreport.h"

namespace ckpt::cli
{

namespace
{

struct ArchOptions {
    CLI::App* list = nullptr;
    CLI::App* show = nullptr;
    std::string name;
    bool json = false;
};

bool isRunningStatistic(const std::string& key)
{
    auto endsWith = [&key](const std::string& suffix) {
        return key.size() >= suffix.size() && key.compare(key.size() - suffix.size(), suffix.size(), suffix) == 0;
    };
    return endsWith("running_mean") || endsWith("running_var");
}

int runList(bool json)
{
    std::vector<std::string> names = catalogNames();
    if (json) {
        printJson({{"catalog", catalogVersion()}, {"names", names}});
        return ExitOk;
    }
    for (const std::string& name : names)
        std::cout << name << "\n";
    return ExitOk;
}

int runShow(std::string name, bool json)
{
    if (name.rfind("builtin:", 0) == 0) name.erase(0, 8);
    auto spec = catalogSpec(name);
    if (!spec) return reportError("builtin:" + name, spec.error());
    // The catalog keeps state_dict() entries without marking buffers; parameters are told apart the way
    // they nearly always are: floating tensors that are not BatchNorm running statistics.
    uint64_t elements = 0, parameters = 0;
    nlohmann::json keys = nlohmann::json::array();
    std::vector<std::vector<std::string>> rows = {{"KEY", "SHAPE", "DTYPE"}};
    for (const ArchEntry& e : spec.value().entries) {
        uint64_t n = 1;
        for (int64_t d : e.shape)
            n *= static_cast<uint64_t>(d);
        elements += n;
        if (dtypeIsFloating(e.dtype) && !isRunningStatistic(e.key)) parameters += n;
        keys.push_back({{"key", e.key}, {"shape", e.shape}, {"dtype", std::string(dtypeName(e.dtype))}});
        rows.push_back({e.key, shapeText(e.shape), std::string(dtypeName(e.dtype))});
    }
    std::string arguments = catalogModelArguments(name);
    if (json) {
        printJson({{"name", name},
                   {"catalog", catalogVersion()},
                   {"arguments", arguments},
                   {"keys", keys},
                   {"total_keys", spec.value().entries.size()},
                   {"total_elements", elements},
                   {"total_params", parameters}});
        return ExitOk;
    }
    std::cout << name << " (" << catalogVersion() << (arguments.empty() ? "" : ", " + arguments) << ")\n\n"
              << formatTable(rows, 80) << "\n"
              << spec.value().entries.size() << " keys, " << parameters << " parameters, " << elements
              << " elements in the state dict\n";
    return ExitOk;
}

const RegisterCommand registerArch{
    Command{"arch", "List or show the built-in architecture catalog", 90, [](CLI::App& sub) -> Runner {
                auto options = std::make_shared<ArchOptions>();
                sub.require_subcommand(1);
                options->list = sub.add_subcommand("list", "Every built-in architecture name, one per line");
                options->list->add_flag("--json", options->json, "Print JSON");
                options->show = sub.add_subcommand("show", "Keys, shapes and dtypes of one built-in architecture");
                options->show->add_option("NAME", options->name, "Architecture name, e.g. resnet152")->required();
                options->show->add_flag("--json", options->json, "Print JSON");
                return [options] {
                    if (options->show->parsed()) return runShow(options->name, options->json);
                    return runList(options->json);
                };
            }}};

} // namespace

} // namespace ckpt::cli
