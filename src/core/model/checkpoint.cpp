#include "core/model/checkpoint.h"

#include "core/io/mappedfile.h"
#include "core/model/viewbounds.h"

namespace ckpt
{

const char* formatName(Format format)
{
    switch (format) {
    case Format::TorchZip:
        return "torch-zip";
    case Format::TorchLegacy:
        return "torch-legacy";
    case Format::Safetensors:
        return "safetensors";
    case Format::Sharded:
        return "sharded";
    case Format::TorchScript:
        return "torchscript";
    case Format::Pickle:
        return "pickle";
    case Format::Dcp:
        return "dcp";
    case Format::DeepSpeed:
        return "deepspeed";
    }
    return "unknown";
}

const char* kindName(Kind kind)
{
    switch (kind) {
    case Kind::StateDict:
        return "state_dict";
    case Kind::TrainingCheckpoint:
        return "training_checkpoint";
    case Kind::WholeModel:
        return "whole_model";
    case Kind::Optimizer:
        return "optimizer";
    case Kind::TorchScript:
        return "torchscript";
    case Kind::Other:
        return "other";
    }
    return "other";
}

const char* severityName(Severity severity)
{
    switch (severity) {
    case Severity::Safe:
        return "safe";
    case Severity::Unknown:
        return "unknown";
    case Severity::Dangerous:
        return "dangerous";
    }
    return "unknown";
}

const char* layoutName(TensorLayout layout)
{
    switch (layout) {
    case TensorLayout::Strided:
        return "strided";
    case TensorLayout::SparseCoo:
        return "sparse_coo";
    case TensorLayout::SparseCsr:
        return "sparse_csr";
    case TensorLayout::SparseCsc:
        return "sparse_csc";
    case TensorLayout::SparseBsr:
        return "sparse_bsr";
    case TensorLayout::SparseBsc:
        return "sparse_bsc";
    }
    return "strided";
}

std::string shapeText(const std::vector<int64_t>& shape)
{
    std::string text = "[";
    for (size_t i = 0; i < shape.size(); ++i)
        text += (i ? ", " : "") + std::to_string(shape[i]);
    return text + "]";
}

std::string pathToString(const Path& path)
{
    std::string text;
    for (size_t i = 0; i < path.size(); ++i) {
        if (i) text += '/';
        text += path[i].toString();
    }
    return text;
}

uint64_t TensorInfo::numel() const
{
    uint64_t count = 1;
    for (int64_t dim : shape)
        count *= static_cast<uint64_t>(dim < 0 ? 0 : dim);
    return count;
}

const uint8_t* Checkpoint::storageData(int storage) const
{
    if (storage < 0 || static_cast<size_t>(storage) >= storages.size()) return nullptr;
    const StorageInfo& info = storages[storage];
    if (!info.available) return nullptr;
    if (info.owned) return reinterpret_cast<const uint8_t*>(info.owned->data());
    if (info.file < 0 || static_cast<size_t>(info.file) >= files.size() || !files[info.file]) return nullptr;
    return files[info.file]->data() + info.fileOffset;
}

const uint8_t* Checkpoint::tensorData(int tensor) const
{
    if (tensor < 0 || static_cast<size_t>(tensor) >= tensors.size()) return nullptr;
    const TensorInfo& info = tensors[tensor];
    if (info.layout != TensorLayout::Strided || !info.problem.empty()) return nullptr;
    const uint8_t* base = storageData(info.storage);
    // Checked again here, in bytes, so that no reader of tensor bytes (export, its verifier, stats, diff --values,
    // the GUI) depends on the loader having caught a view that reaches past its storage.
    if (!base || !viewFitsStorage(info, storages[info.storage])) return nullptr;
    // A view of no elements fits at any offset, even one far past its storage: it has no bytes, so it gets the
    // storage's start rather than a pointer computed past the mapping (found by fuzz_structured).
    if (info.numel() == 0) return base;
    return base + static_cast<uint64_t>(info.offset) * dtypeElementSize(info.dtype);
}

VoidResult Checkpoint::checkFilesUnchanged() const
{
    for (const auto& mapped : files)
        if (mapped)
            if (auto unchanged = mapped->checkUnchanged(); !unchanged) return unchanged;
    for (const auto& part : parts)
        if (part)
            if (auto unchanged = part->checkFilesUnchanged(); !unchanged) return unchanged;
    return Done{};
}

Severity Checkpoint::verdict() const
{
    if (!dangerousCalls.empty()) return Severity::Dangerous;
    Severity worst = Severity::Safe;
    for (const GlobalRef& global : globals)
        if (static_cast<int>(global.severity) > static_cast<int>(worst)) worst = global.severity;
    return worst;
}

const WeightSet* Checkpoint::mainWeightSet() const
{
    if (weightSets.empty()) return nullptr;
    // Prefer the set a user means by "the model": the root, then the conventional names, then the largest.
    for (const WeightSet& set : weightSets)
        if (set.at.empty()) return &set;
    for (const char* name : {"model", "state_dict", "model_state_dict", "model_state", "net", "network", "module"})
        for (const WeightSet& set : weightSets)
            if (set.at.size() == 1 && !set.at[0].isIndex && set.at[0].key == name) return &set;
    const WeightSet* largest = &weightSets.front();
    for (const WeightSet& set : weightSets)
        if (set.entries.size() > largest->entries.size()) largest = &set;
    return largest;
}

uint64_t Checkpoint::parameterCount() const
{
    uint64_t count = 0;
    if (const WeightSet* set = mainWeightSet()) {
        for (const WeightEntry& entry : set->entries)
            if (entry.tensor >= 0) count += tensors[entry.tensor].numel();
        return count;
    }
    for (const TensorInfo& tensor : tensors)
        if (!tensor.component) count += tensor.numel();
    return count;
}

} // namespace ckpt
