#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/analysis/renamerule.h"
#include "core/edit/locationmap.h"
#include "core/edit/payloadfilter.h"
#include "core/edit/renameplan.h"
#include "core/format/loader.h"
#include "core/progress.h"
#include "core/result.h"
#include "core/zip/zipwritersink.h"

namespace ckpt
{

enum class ExportFormat { Torch, Safetensors };

struct ExportOptions {
    ExportFormat format = ExportFormat::Torch;
    RenameRule rule; // explicit strip/drop/add, applied before the layout
    TargetLayout layout = TargetLayout::Keep;
    LocationMap locations;
    bool stateDictOnly = false; // write only the chosen weight set, as a plain state dict
    std::string select;         // the weight set, as pathToString prints its path; "" = main
    bool force = false;         // replace an existing output file
    bool forceZip64 = false;    // zip64 records even for small files (tests)
    bool dropDangerous = false; // leave out what is or calls a dangerous global instead of refusing the file
};

struct ExportReport {
    std::string weightSet; // path of the weight set the plan renamed ("" = the root)
    RenamePlan plan;
    size_t tensors = 0;        // tensors verified in the written file
    size_t keys = 0;           // weight-set keys verified
    size_t records = 0;        // storage records (torch) or tensors (safetensors) written
    uint64_t payloadBytes = 0; // tensor bytes written
    uint64_t fileBytes = 0;
    std::vector<DroppedValue> dropped; // with dropDangerous: every value left out, and globals not written
    nlohmann::json toJson() const;
};

// Wraps the output file's sink; tests use it to inject write failures at a chosen byte.
using SinkDecorator = std::function<std::unique_ptr<ZipWriterSink>(ZipWriterSink& file)>;

// Writes a repaired copy of a checkpoint: keys renamed by a plan, locations remapped, optionally reduced
// to a plain state dict, as a torch zip (protocol-2 pickle by our Pickler) or safetensors. The file is
// written beside the target under a temporary name, fsynced, re-opened and verified (keys, dtypes,
// shapes, XXH3 of every tensor's bytes, no dangerous global), and only then renamed into place. The input is
// never touched. A file that imports a dangerous global is refused unless dropDangerous is set.
class Exporter
{
public:
    Exporter(CheckpointPtr input, ExportOptions options);

    // The weight set the options choose (nullptr when the file has none).
    const WeightSet* weightSet() const;
    // The rename plan the options give for that weight set (what --dry-run prints).
    Result<RenamePlan> plan() const;
    // Writes, verifies and renames into place; on any error no output file is left behind.
    Result<ExportReport> run(const std::string& output, const Progress& progress = {}) const;
    void setSinkDecorator(SinkDecorator decorator) { m_decorator = std::move(decorator); }

private:
    Result<ExportReport> runUnguarded(const std::string& output, const Progress& progress) const;
    CheckpointPtr m_input;
    ExportOptions m_options;
    SinkDecorator m_decorator;
};

} // namespace ckpt
