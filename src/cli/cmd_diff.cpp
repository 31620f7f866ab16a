// `ckpt diff A B [--values] [--json]`: two checkpoints compared after normalising wrapper prefixes.
#include <cstdio>
#include <iostream>

#include "cli/command.h"
#include "cli/output.h"
#include "core/analysis/checkpointdiff.h"
#include "core/analysis/matchreport.h"
#include "core/format/loader.h"

namespace ckpt::cli
{

namespace
{

struct DiffCliOptions {
    std::string left;
    std::string right;
    bool values = false;
    bool json = false;
    bool all = false;
};

std::string detail(const DiffEntry& e)
{
    switch (e.status) {
    case DiffStatus::ShapeDiffers:
        return shapeText(e.leftShape) + " vs " + shapeText(e.rightShape);
    case DiffStatus::DTypeDiffers: {
        std::string text = std::string(dtypeName(e.leftDtype)) + " vs " + std::string(dtypeName(e.rightDtype));
        if (e.valuesCompared && e.values.numeric) text += ", max |a-b| " + shortNumber(e.values.maxAbsDiff);
        return text;
    }
    case DiffStatus::LocationDiffers:
        return e.leftLocation + " vs " + e.rightLocation;
    case DiffStatus::ValuesDiffer:
        return "max |a-b| " + shortNumber(e.values.maxAbsDiff) + ", max rel " + shortNumber(e.values.maxRelDiff) +
               ", " + std::to_string(e.values.differing) + " elements differ";
    default:
        return e.note;
    }
}

void printHuman(const CheckpointDiff& diff, const DiffCliOptions& options)
{
    std::cout << "left:  " << options.left << "\nright: " << options.right << "\nrule:  " << diff.rule.describe()
              << "\n\n";
    std::vector<std::vector<std::string>> rows = {{"STATUS", "LEFT", "RIGHT", "DETAIL"}};
    for (const DiffEntry& e : diff.entries) {
        if (e.status == DiffStatus::Equal && !options.all) continue;
        rows.push_back({diffStatusName(e.status), e.status == DiffStatus::OnlyRight ? "-" : e.left,
                        e.status == DiffStatus::OnlyLeft ? "-" : e.right, detail(e)});
    }
    for (const ValueDiffEntry& v : diff.plainValues) {
        if (v.status == DiffStatus::Equal && !options.all) continue;
        rows.push_back({diffStatusName(v.status), v.status == DiffStatus::OnlyRight ? "-" : v.path + " = " + v.left,
                        v.status == DiffStatus::OnlyLeft ? "-" : v.path + " = " + v.right, "value"});
    }
    if (rows.size() > 1) std::cout << formatTable(rows) << "\n";
    std::cout << diff.summaryText() << "\n";
}

int runDiff(const DiffCliOptions& options)
{
    auto left = loadForCommand(options.left);
    if (!left) return reportError(options.left, left.error());
    auto right = loadForCommand(options.right);
    if (!right) return reportError(options.right, right.error());
    DiffOptions diffOptions;
    diffOptions.values = options.values;
    auto diff = diffCheckpoints(*left.value(), *right.value(), diffOptions);
    if (!diff) return reportError(options.left, diff.error());
    if (options.json) {
        nlohmann::json json = diff.value().toJson();
        json["left_file"] = options.left;
        json["right_file"] = options.right;
        printJson(json);
    } else {
        printHuman(diff.value(), options);
    }
    return diff.value().equal() ? ExitOk : ExitFailure;
}

const RegisterCommand registerDiff{
    Command{"diff", "Compare two checkpoints after normalising wrapper prefixes", 50, [](CLI::App& sub) -> Runner {
                auto options = std::make_shared<DiffCliOptions>();
                sub.add_option("A", options->left, "Left checkpoint")->required();
                sub.add_option("B", options->right, "Right checkpoint")->required();
                sub.add_flag("--values", options->values, "Also compare tensor values (streams every byte)");
                sub.add_flag("--all", options->all, "List equal pairs too");
                sub.add_flag("--json", options->json, "Print JSON");
                sub.footer("Exit status (like diff(1)): 0 equal after normalisation, 1 different, 2 usage error.\n"
                           "A file that cannot be read also exits 1, with \"ckpt: FILE: cause\" on stderr and\n"
                           "nothing on stdout.");
                return [options] { return runDiff(*options); };
            }}};

} // namespace

} // namespace ckpt::cli
