#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/model/dtype.h"
#include "core/model/shardedvalue.h"
#include "core/pickle/value.h"
#include "core/result.h"

namespace ckpt
{

class MappedFile;
namespace distributed
{
struct Layout;
}

enum class Format { TorchZip, TorchLegacy, Safetensors, Sharded, TorchScript, Pickle, Dcp, DeepSpeed };
enum class Kind { StateDict, TrainingCheckpoint, WholeModel, Optimizer, TorchScript, Other };
enum class Severity { Safe, Unknown, Dangerous };
enum class TensorLayout { Strided, SparseCoo, SparseCsr, SparseCsc, SparseBsr, SparseBsc };

// "torch-zip", "torch-legacy", "safetensors", "sharded", "torchscript", "pickle", "dcp", "deepspeed"
const char* formatName(Format format);
const char* kindName(Kind kind);             // "state_dict", "training_checkpoint", "whole_model", ...
const char* severityName(Severity severity); // "safe", "unknown", "dangerous"
const char* layoutName(TensorLayout layout); // "strided", "sparse_coo", ...

// One step from the root to a value: a dict key or attribute name, or a list/tuple index
// (integer dict keys are indices too, as the CLI contract prints them as numbers).
struct PathElement {
    bool isIndex = false;
    std::string key;
    int64_t index = 0;

    static PathElement name(std::string k) { return PathElement{false, std::move(k), 0}; }
    static PathElement at(int64_t i) { return PathElement{true, {}, i}; }
    std::string toString() const { return isIndex ? std::to_string(index) : key; }
    bool operator==(const PathElement& o) const
    {
        return isIndex == o.isIndex && (isIndex ? index == o.index : key == o.key);
    }
};
using Path = std::vector<PathElement>;
std::string pathToString(const Path& path); // "model/conv1.weight" style, '/' between elements
// "[64, 3, 7, 7]" ("[]" for a scalar), as torch prints a size.
std::string shapeText(const std::vector<int64_t>& shape);

// A storage record: where its bytes live. Bytes are mapped from the file, never copied to open it
// (a deflated zip record is the one exception: it is inflated into `owned`).
struct StorageInfo {
    std::string key; // record name ("0"), legacy root key, or the safetensors tensor name
    DType dtype = DType::Unknown;
    uint64_t numel = 0;                       // elements as the file declares them
    uint64_t nbytes = 0;                      // numel * element size
    std::string location;                     // tag stored in the file, verbatim ("cpu", "cuda:3", "mps")
    int file = 0;                             // index into Checkpoint::files
    uint64_t fileOffset = 0;                  // where the bytes start in that file
    bool available = false;                   // bytes present and in bounds
    std::shared_ptr<const std::string> owned; // inflated bytes for deflated records
};

struct QuantInfo {
    std::string scheme; // "per_tensor_affine", "per_channel_affine", ...
    double scale = 0.0;
    int64_t zeroPoint = 0;
    int64_t axis = 0;
    int scalesTensor = -1; // per-channel: index into tensors (a component, not in weight sets)
    int zeroPointsTensor = -1;
};

struct TensorInfo {
    Path path;
    DType dtype = DType::Unknown;
    std::vector<int64_t> shape;
    std::vector<int64_t> stride;
    int64_t offset = 0;   // storage offset in elements
    int storage = -1;     // index into storages; -1 for meta tensors or sparse wrappers
    std::string location; // the storage's tag, or the device of a storage-less tensor
    uint64_t nbytes = 0;  // numel(shape) * element size
    bool parameter = false;
    bool requiresGrad = false;
    TensorLayout layout = TensorLayout::Strided;
    QuantInfo quant;             // quantized dtypes only
    std::vector<int> parts;      // sparse: component tensors (indices, values / crow, col, values)
    bool component = false;      // part of a sparse/quantized tensor rather than a value of its own
    const Value* node = nullptr; // the rebuild object in the graph (nullptr for safetensors)
    int sharded = -1;            // a ShardedTensor/DTensor: index into Checkpoint::shardedValues
    std::string problem;         // why the bytes cannot be used (out of bounds, missing record...); empty when fine

    uint64_t numel() const;
};

struct WeightEntry {
    std::string key;
    int tensor = -1;
};

// A state dict found in the file (an OrderedDict/dict of tensors), or derived from a whole model.
struct WeightSet {
    Path at;
    bool derived = false;
    const Value* dict = nullptr; // the dict/OrderedDict node (nullptr when derived)
    std::vector<WeightEntry> entries;
};

// A leaf that is not a tensor (epoch, lr, args fields), for the tree.
struct PlainValue {
    Path path;
    const Value* value = nullptr;
};

struct GlobalRef {
    std::string module;
    std::string name;
    Severity severity = Severity::Unknown;
    std::string reason;  // why that severity, in words
    uint64_t offset = 0; // first occurrence in the pickle
    int count = 0;       // occurrences
    // Empty for the file's own pickles. For a global found inside the bytes a loader call is given
    // (torch.storage._load_from_bytes, pickle.loads...): where, in words, and the outermost loader's name.
    std::string via;
    std::string viaLoader;
};

// A call of a loader (see core/analysis/loaderpayload.h) whose bytes import something dangerous or cannot be
// scanned: dangerous although the loader itself is not (a real torch.load runs what its payload holds).
struct DangerousCall {
    const Value* node = nullptr;   // the call (an Object), or the loader Global when it is reached otherwise
    const Value* loader = nullptr; // the loader Global
    std::string why;               // one sentence
};

struct Finding {
    Severity severity = Severity::Unknown;
    std::string what; // one sentence
};

// The immutable document every loader produces and every view, analysis and exporter reads.
struct Checkpoint {
    std::string file;
    Format format = Format::TorchZip;
    Kind kind = Kind::Other;
    std::vector<std::shared_ptr<const MappedFile>> files; // [0] = the opened file; shards follow
    std::unique_ptr<ValueArena> arena = std::make_unique<ValueArena>();
    const Value* root = nullptr; // null for safetensors/sharded safetensors
    int pickleProtocol = 0;
    std::string archiveName; // zip folder name
    std::vector<StorageInfo> storages;
    std::vector<TensorInfo> tensors;
    std::vector<WeightSet> weightSets;
    std::vector<PlainValue> values;
    std::vector<GlobalRef> globals;
    std::vector<DangerousCall> dangerousCalls; // loader calls whose payload is dangerous (verdict: Dangerous)
    std::vector<std::pair<const Value*, const Value*>> replacedStates; // see UnpickleResult::replacedStates
    std::vector<Finding> findings;
    std::map<std::string, std::string> metadata; // safetensors __metadata__, zip records of note
    uint64_t fileSize = 0;
    std::vector<std::shared_ptr<const Checkpoint>> parts; // shards of a sharded set (they own their files)
    // A DCP or DeepSpeed directory: each tensor's chunks in the rank files (core/distributed/layout.h).
    // Its tensors have no storage of their own (storage -1) unless one chunk holds all of it.
    std::shared_ptr<const distributed::Layout> distributed;
    // ShardedTensor / DTensor values of an ordinary file (TensorInfo::sharded points here).
    std::vector<ShardedValue> shardedValues;

    // Bytes of a storage (mapped or inflated); nullptr when unavailable.
    const uint8_t* storageData(int storage) const;
    // The tensor's first element, or nullptr (meta, sparse, unavailable); for a view of no elements, the start of
    // its storage (not to be read).
    const uint8_t* tensorData(int tensor) const;
    // Status::FileChanged when any file of the document (shards included) changed since it was opened: every
    // reader of tensor bytes checks this after reading (see MappedFile::checkUnchanged).
    VoidResult checkFilesUnchanged() const;
    Severity verdict() const;               // the worst global severity; Dangerous with a dangerous call
    uint64_t parameterCount() const;        // elements of non-component tensors in the main weight set or all
    const WeightSet* mainWeightSet() const; // the one a user means: model/state_dict/derived...
};

} // namespace ckpt
