#include "core/distributed/zeroreader.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>

#include "core/distributed/chunkarchive.h"
#include "core/distributed/enummembers.h"
#include "core/distributed/objectfields.h"
#include "core/distributed/rankfiles.h"
#include "core/distributed/virtualtensors.h"
#include "core/format/tensorrebuild.h"
#include "core/io/mappedfile.h"
#include "core/limits.h"

namespace ckpt::distributed
{

namespace
{

using Entries = ValueList<std::pair<const Value*, const Value*>>;

// Items of a dict or an OrderedDict (whose items are SETITEMed onto the REDUCE object).
const Entries* dictEntries(const Value* v)
{
    if (!v) return nullptr;
    if (v->kind == ValueKind::Dict) return &v->entries;
    if (v->kind == ValueKind::Object && className(v) == "OrderedDict") return &v->entries;
    return nullptr;
}

const Value* lookup(const Value* dict, const std::string& key)
{
    if (const Entries* entries = dictEntries(dict))
        for (const auto& [k, v] : *entries)
            if (k && k->isString() && k->text == key) return v;
    return nullptr;
}

struct RankFile {
    int dp = 0;
    int mp = 0;
    std::string name;
};

// DeepSpeed names rank files `[bf16_]zero_pp_rank_{dp}_mp_rank_{mp:02d}_{model,optim}_states.pt`
// (stage 1/2 model states: `mp_rank_{mp:02d}_model_states.pt`); zero_to_fp32 orders them naturally.
std::vector<RankFile> rankFiles(const std::vector<std::string>& names, const std::string& suffix)
{
    static const std::regex pattern(R"(^(bf16_)?(zero_pp_rank_(\d+)_)?mp_rank_(\d+)_)");
    std::vector<RankFile> out;
    for (const std::string& name : names) {
        if (name.size() < suffix.size() || name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0)
            continue;
        std::smatch m;
        RankFile file;
        file.name = name;
        if (std::regex_search(name, m, pattern)) {
            file.dp = m[3].matched ? std::stoi(m[3].str().substr(0, 9)) : 0;
            file.mp = std::stoi(m[4].str().substr(0, 9));
        }
        out.push_back(file);
    }
    std::sort(out.begin(), out.end(), [](const RankFile& a, const RankFile& b) {
        return a.mp != b.mp ? a.mp < b.mp : a.dp != b.dp ? a.dp < b.dp : a.name < b.name;
    });
    return out;
}

// A run of fp32 elements one rank holds: `numel` elements from byte `dataOffset` of file `file`.
struct Segment {
    int file = -1;
    std::string fileName;
    uint64_t dataOffset = 0;
    uint64_t numel = 0;
    DType dtype = DType::Float32;
    std::string problem;
};

// Appends the chunks that copy elements [start, start+length) of the concatenation of `segments` to flat
// destination offset `dst`.
void addRange(VirtualTensor& tensor, const std::vector<Segment>& segments, uint64_t start, uint64_t length,
              uint64_t dst)
{
    uint64_t base = 0;
    for (const Segment& s : segments) {
        uint64_t lo = std::max(start, base), hi = std::min(start + length, base + s.numel);
        if (lo < hi) {
            Chunk chunk;
            chunk.offsets = {static_cast<int64_t>(dst + (lo - start))};
            chunk.sizes = {static_cast<int64_t>(hi - lo)};
            chunk.file = s.file;
            chunk.fileName = s.fileName;
            chunk.stride = {1};
            chunk.sourceDtype = s.dtype;
            chunk.dataOffset = s.dataOffset + (lo - base) * dtypeElementSize(s.dtype);
            chunk.byteBegin = chunk.dataOffset;
            chunk.byteEnd = chunk.dataOffset + (hi - lo) * dtypeElementSize(s.dtype);
            chunk.problem = s.problem;
            tensor.chunks.push_back(std::move(chunk));
        }
        base += s.numel;
    }
}

uint64_t product(const std::vector<int64_t>& shape)
{
    uint64_t n = 1;
    for (int64_t d : shape)
        n *= static_cast<uint64_t>(std::max<int64_t>(d, 0));
    return n;
}

// The tensor of a sub-document at `path` (dict keys and list indices from its root) as a segment.
Segment segmentAt(const Checkpoint& sub, int file, const std::string& fileName, const Path& path)
{
    Segment s;
    s.file = file;
    s.fileName = fileName;
    for (const TensorInfo& t : sub.tensors) {
        if (!(t.path == path) || t.component) continue;
        if (t.storage < 0 || !t.problem.empty() || sub.storages[static_cast<size_t>(t.storage)].owned) {
            s.problem = "unreadable tensor at " + pathToString(path) + (t.problem.empty() ? "" : ": " + t.problem);
            return s;
        }
        s.dtype = t.dtype;
        s.numel = t.numel();
        s.dataOffset = sub.storages[static_cast<size_t>(t.storage)].fileOffset +
                       static_cast<uint64_t>(t.offset) * dtypeElementSize(t.dtype);
        if (t.stride != rowMajorStrides(t.shape) && s.numel > 1) s.problem = "non-contiguous partition tensor";
        return s;
    }
    s.problem = "no tensor at " + pathToString(path);
    return s;
}

std::string trim(std::string text)
{
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' '))
        text.pop_back();
    size_t start = text.find_first_not_of(" \t");
    return start == std::string::npos ? std::string() : text.substr(start);
}

} // namespace

Result<std::unique_ptr<Checkpoint>> loadZeroDirectory(const std::string& directory, const Progress& progress)
{
    namespace fs = std::filesystem;
    auto layout = std::make_shared<Layout>();
    layout->kind = "deepspeed";
    layout->directory = directory;
    std::error_code ec;
    std::string tagDir = directory;
    if (fs::exists(directory + "/latest", ec)) {
        std::ifstream in(directory + "/latest");
        std::string tag((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        tag = trim(tag.substr(0, 4096));
        if (tag.empty() || tag.find('/') != std::string::npos || tag == "..")
            return makeError(Status::Corrupt, "'latest' does not name a tag folder");
        if (!fs::is_directory(directory + "/" + tag, ec))
            return makeError(Status::Truncated,
                             "'latest' names tag '" + tag + "' but the folder " + tag + " is missing");
        tagDir = directory + "/" + tag;
        layout->facts["tag"] = tag;
    }
    std::vector<std::string> names;
    for (fs::directory_iterator it(tagDir, ec), end; !ec && it != end && names.size() < limits::kMaxRankFiles;
         it.increment(ec))
        names.push_back(it->path().filename().string());
    std::vector<RankFile> modelFiles = rankFiles(names, "_model_states.pt");
    std::vector<RankFile> optimFiles = rankFiles(names, "_optim_states.pt");
    if (modelFiles.empty()) return makeError(Status::Truncated, "no *_model_states.pt in " + tagDir);
    if (optimFiles.empty())
        return makeError(Status::Unsupported,
                         "no *_optim_states.pt in " + tagDir + ": not a ZeRO checkpoint (stage 0?)");
    for (const RankFile& f : modelFiles)
        if (f.mp != 0)
            return makeError(Status::Unsupported,
                             f.name + ": model-parallel rank files (mp_rank > 0) are not supported");
    for (const RankFile& f : optimFiles)
        if (f.mp != 0)
            return makeError(Status::Unsupported,
                             f.name + ": model-parallel rank files (mp_rank > 0) are not supported");
    layout->facts["dtype_prefix"] = optimFiles[0].name.rfind("bf16_", 0) == 0 ? "bf16" : "none";

    auto doc = std::make_unique<Checkpoint>();
    doc->file = directory;
    doc->format = Format::DeepSpeed;
    doc->kind = Kind::StateDict;
    RankFiles files(*doc, tagDir, layout->problems);
    const std::string tagPrefix = tagDir == directory ? std::string() : layout->facts["tag"] + "/";

    // Every rank file is a plain torch.save archive; its pickle names DeepSpeed's classes, kept inert.
    struct Opened {
        std::shared_ptr<const Checkpoint> sub;
        int file = -1;
        std::string name;
    };
    auto openRankFile = [&](const std::string& name) -> Result<Opened> {
        std::string why;
        int index = files.open(name, why);
        if (index < 0) return makeError(Status::IoError, name + ": " + why);
        auto sub =
            openTorchArchive(doc->files[static_cast<size_t>(index)], 0, doc->files[static_cast<size_t>(index)]->size());
        if (!sub) {
            layout->problems.push_back({name, sub.error().detail});
            return makeError(sub.error().status, name + ": " + sub.error().detail, sub.error().offset);
        }
        std::shared_ptr<const Checkpoint> shared(std::move(sub).value());
        mergeGlobals(*doc, *shared);
        doc->parts.push_back(shared);
        doc->fileSize += doc->files[static_cast<size_t>(index)]->size();
        return Opened{shared, index, name};
    };

    auto firstOptim = openRankFile(optimFiles[0].name);
    if (!firstOptim) return firstOptim.error();
    const Value* osd = lookup(firstOptim.value().sub->root, "optimizer_state_dict");
    int64_t stage = -1;
    if (!zeroStageValue(lookup(osd, "zero_stage"), stage))
        return makeError(Status::Unsupported, tagPrefix + optimFiles[0].name +
                                                  ": no zero_stage in optimizer_state_dict: a BF16_Optimizer (or "
                                                  "stage 0) checkpoint, whose fp32 partitions are not supported");
    if (stage < 1 || stage > 3)
        return makeError(Status::Unsupported, tagPrefix + optimFiles[0].name + ": ZeRO stage " + std::to_string(stage) +
                                                  " is not supported (stages 1, 2 and 3 are)");
    int64_t world = 0;
    const Value* partitionCount = lookup(osd, "partition_count");
    if (partitionCount && partitionCount->kind == ValueKind::List) {
        for (const Value* v : partitionCount->items) {
            int64_t n = 0;
            if (intValue(v, n)) world = std::max(world, n);
        }
    } else {
        intValue(partitionCount, world);
    }
    if (world < 1 || world > static_cast<int64_t>(limits::kMaxRankFiles))
        return makeError(Status::Corrupt, optimFiles[0].name + ": no usable partition_count");
    layout->facts["stage"] = std::to_string(stage);
    layout->facts["dp_world_size"] = std::to_string(world);

    // Rank r's fp32 partition(s), in rank order; a missing rank leaves unreadable segments behind.
    const char* groupsKey = stage == 3 ? "fp32_flat_groups" : "single_partition_of_fp32_groups";
    std::vector<std::vector<Segment>> ranks(static_cast<size_t>(world)); // [rank][group or sub-group]
    std::vector<bool> rankPresent(static_cast<size_t>(world), false);
    for (const RankFile& f : optimFiles) {
        if (f.dp >= world) {
            layout->problems.push_back({tagPrefix + f.name, "rank " + std::to_string(f.dp) +
                                                                " is beyond the world size " + std::to_string(world)});
            continue;
        }
        auto opened = f.name == optimFiles[0].name ? Result<Opened>(firstOptim.value()) : openRankFile(f.name);
        if (!opened) continue;
        const Value* groups = lookup(lookup(opened.value().sub->root, "optimizer_state_dict"), groupsKey);
        if (!groups || groups->kind != ValueKind::List) {
            layout->problems.push_back({tagPrefix + f.name, std::string("no ") + groupsKey + " list"});
            continue;
        }
        rankPresent[static_cast<size_t>(f.dp)] = true;
        for (size_t g = 0; g < groups->items.size(); ++g) {
            Path path{PathElement::name("optimizer_state_dict"), PathElement::name(groupsKey),
                      PathElement::at(static_cast<int64_t>(g))};
            Segment s = segmentAt(*opened.value().sub, opened.value().file, tagPrefix + f.name, path);
            if (s.problem.empty() && s.dtype != DType::Float32)
                s.problem = "fp32 partition is " + std::string(dtypeName(s.dtype));
            ranks[static_cast<size_t>(f.dp)].push_back(s);
        }
    }
    size_t groupCount = 0;
    // The file a missing rank's optimizer states would be in, as DeepSpeed names it.
    auto expectedOptimFile = [&](int64_t r) {
        return tagPrefix + (layout->facts["dtype_prefix"] == "bf16" ? "bf16_" : "") + "zero_pp_rank_" +
               std::to_string(r) + "_mp_rank_00_optim_states.pt";
    };
    for (int64_t r = 0; r < world; ++r) {
        if (rankPresent[static_cast<size_t>(r)]) {
            groupCount = std::max(groupCount, ranks[static_cast<size_t>(r)].size());
            continue;
        }
        layout->problems.push_back({expectedOptimFile(r), "missing: rank " + std::to_string(r) + " of " +
                                                              std::to_string(world) + " (partition_count " +
                                                              std::to_string(world) + ")"});
    }
    // A missing rank: placeholders as long as a present rank's partitions (all but the last rank hold the same
    // count), so the other ranks' elements still land where they belong and every parameter names what is absent.
    auto present = std::find(rankPresent.begin(), rankPresent.end(), true);
    for (int64_t r = 0; r < world; ++r)
        if (!rankPresent[static_cast<size_t>(r)]) {
            auto& placeholder = ranks[static_cast<size_t>(r)];
            if (present != rankPresent.end()) placeholder = ranks[static_cast<size_t>(present - rankPresent.begin())];
            placeholder.resize(std::max<size_t>(placeholder.size(), 1));
            for (Segment& s : placeholder) {
                s.file = -1;
                s.problem = "rank " + std::to_string(r) + " optimizer states are missing";
                s.fileName = expectedOptimFile(r); // so the file's one finding names the tensors it leaves incomplete
            }
        }

    // Model states: param_shapes (flat-buffer order), buffers, frozen params, ties. Stage 3 has one per rank.
    std::vector<Opened> models;
    for (const RankFile& f : modelFiles) {
        auto opened = openRankFile(f.name);
        if (opened) models.push_back(opened.value());
    }
    if (models.empty()) return makeError(Status::Corrupt, "no readable *_model_states.pt in " + tagDir);
    const Checkpoint& model0 = *models[0].sub;
    if (const Value* v = lookup(model0.root, "ds_version"); v && v->isString()) layout->facts["ds_version"] = v->text;
    const Value* paramShapes = lookup(model0.root, "param_shapes");
    if (!paramShapes || paramShapes->kind != ValueKind::List)
        return makeError(Status::Corrupt, models[0].name + ": no param_shapes list");

    WeightSet set;
    set.derived = true;
    auto add = [&](VirtualTensor vt) {
        std::string key = vt.key;
        int index = addVirtualTensor(*doc, *layout, std::move(vt), {PathElement::name(key)});
        set.entries.push_back({key, index});
    };

    // Buffers, from rank 0's module, as float32 (zero_to_fp32 calls .float() on them).
    const Value* bufferNames = lookup(model0.root, "buffer_names");
    for (const Value* nameValue :
         bufferNames && bufferNames->kind == ValueKind::List ? bufferNames->items : ValueList<const Value*>{}) {
        if (!nameValue || !nameValue->isString()) continue;
        Path path{PathElement::name("module"), PathElement::name(nameValue->text)};
        const TensorInfo* info = nullptr;
        for (const TensorInfo& t : model0.tensors)
            if (t.path == path && !t.component) info = &t;
        if (!info) continue; // zero_to_fp32 skips names the module does not hold
        VirtualTensor vt;
        vt.key = nameValue->text;
        vt.role = "buffer";
        vt.dtype = DType::Float32;
        vt.shape = info->shape;
        vt.flat = true;
        Segment s = segmentAt(model0, models[0].file, tagPrefix + models[0].name, path);
        addRange(vt, {s}, 0, s.numel, 0);
        add(std::move(vt));
    }

    // Frozen parameters: stage 2 keeps each whole in rank 0's model states; stage 3 splits each like a
    // trainable one (ceil(n/world) per rank) across the ranks' model states.
    const Value* frozenShapes = lookup(model0.root, "frozen_param_shapes");
    if (const Entries* frozen = dictEntries(frozenShapes)) {
        for (const auto& [nameValue, shapeValue] : *frozen) {
            VirtualTensor vt;
            if (!nameValue || !nameValue->isString() || !readIntTuple(shapeValue, vt.shape)) continue;
            vt.key = nameValue->text;
            vt.role = "frozen";
            vt.flat = true;
            const uint64_t n = product(vt.shape);
            Path path{PathElement::name("frozen_param_fragments"), PathElement::name(vt.key)};
            if (stage == 3) {
                const uint64_t part = (n + static_cast<uint64_t>(world) - 1) / static_cast<uint64_t>(world);
                std::vector<Segment> pieces;
                for (const Opened& m : models) {
                    Segment s = segmentAt(*m.sub, m.file, tagPrefix + m.name, path);
                    if (s.problem.empty() && s.numel != part)
                        s.problem =
                            "fragment holds " + std::to_string(s.numel) + " elements, expected " + std::to_string(part);
                    s.numel = part;
                    pieces.push_back(s);
                    vt.dtype = s.dtype;
                }
                if (static_cast<int64_t>(models.size()) != world)
                    layout->problems.push_back({tagPrefix + "zero_pp_rank_*_model_states.pt",
                                                "found " + std::to_string(models.size()) +
                                                    " model-state files, expected " + std::to_string(world)});
                addRange(vt, pieces, 0, n, 0);
            } else {
                Segment s = segmentAt(model0, models[0].file, tagPrefix + models[0].name, path);
                vt.dtype = s.dtype;
                if (s.problem.empty() && s.numel != n)
                    s.problem = "frozen fragment has " + std::to_string(s.numel) + " elements";
                addRange(vt, {s}, 0, n, 0);
            }
            add(std::move(vt));
        }
    }

    // Trainable parameters: the fp32 masters.
    if (stage <= 2) {
        if (paramShapes->items.size() != groupCount && groupCount)
            layout->problems.push_back({tagPrefix + optimFiles[0].name, std::to_string(groupCount) +
                                                                            " fp32 groups, but param_shapes has " +
                                                                            std::to_string(paramShapes->items.size())});
        for (size_t g = 0; g < paramShapes->items.size(); ++g) {
            std::vector<Segment> concat; // group g of every rank, in rank order
            uint64_t available = 0;
            for (int64_t r = 0; r < world; ++r) {
                const auto& rank = ranks[static_cast<size_t>(r)];
                Segment s = g < rank.size() ? rank[g] : Segment{};
                if (g >= rank.size()) s.problem = "rank " + std::to_string(r) + " has no group " + std::to_string(g);
                concat.push_back(s);
                available += s.numel;
            }
            uint64_t offset = 0;
            const Entries* shapes = dictEntries(paramShapes->items[g]);
            for (const auto& [nameValue, shapeValue] : shapes ? *shapes : Entries{}) {
                VirtualTensor vt;
                if (!nameValue || !nameValue->isString() || !readIntTuple(shapeValue, vt.shape)) continue;
                vt.key = nameValue->text;
                vt.role = "master";
                vt.dtype = DType::Float32;
                vt.flat = true;
                const uint64_t n = product(vt.shape);
                addRange(vt, concat, offset, n, 0);
                offset += n;
                add(std::move(vt));
            }
            // DeepSpeed pads each group to a multiple of 2*world and strips that padding on save, so the
            // parameters must end within the last 2*world elements of what the ranks hold.
            const uint64_t align = 2 * static_cast<uint64_t>(world);
            bool allPresent =
                std::all_of(concat.begin(), concat.end(), [](const Segment& s) { return s.problem.empty(); });
            if (allPresent && (offset + align - 1) / align != (available + align - 1) / align)
                layout->problems.push_back(
                    {tagPrefix + optimFiles[0].name, "group " + std::to_string(g) + ": parameters take " +
                                                         std::to_string(offset) + " elements, the partitions hold " +
                                                         std::to_string(available)});
        }
    } else {
        uint64_t offset = 0; // in each rank's flat space
        uint64_t held = 0;
        for (const Segment& s : ranks[0])
            held += s.numel;
        for (const Value* group : paramShapes->items) {
            const Entries* shapes = dictEntries(group);
            for (const auto& [nameValue, shapeValue] : shapes ? *shapes : Entries{}) {
                VirtualTensor vt;
                if (!nameValue || !nameValue->isString() || !readIntTuple(shapeValue, vt.shape)) continue;
                vt.key = nameValue->text;
                vt.role = "master";
                vt.dtype = DType::Float32;
                vt.flat = true;
                const uint64_t n = product(vt.shape);
                const uint64_t part = (n + static_cast<uint64_t>(world) - 1) / static_cast<uint64_t>(world);
                for (int64_t r = 0; r < world; ++r) {
                    uint64_t dst = static_cast<uint64_t>(r) * part;
                    if (dst >= n) break;
                    addRange(vt, ranks[static_cast<size_t>(r)], offset, std::min(part, n - dst), dst);
                }
                offset += part;
                add(std::move(vt));
            }
        }
        if (rankPresent[0] && offset != held)
            layout->problems.push_back({tagPrefix + optimFiles[0].name, "parameters take " + std::to_string(offset) +
                                                                            " elements per rank, the flat "
                                                                            "groups hold " +
                                                                            std::to_string(held)});
    }

    // Tied parameters: the same tensor under a second name.
    if (const Entries* shared = dictEntries(lookup(model0.root, "shared_params"))) {
        for (const auto& [tied, source] : *shared) {
            if (!tied || !tied->isString() || !source || !source->isString()) continue;
            const VirtualTensor* from = nullptr;
            for (const VirtualTensor& t : layout->tensors)
                if (t.key == source->text) from = &t;
            if (!from) {
                layout->problems.push_back(
                    {tagPrefix + models[0].name,
                     "shared param '" + tied->text + "' ties to unknown '" + source->text + "'"});
                continue;
            }
            VirtualTensor vt = *from;
            vt.key = tied->text;
            vt.tiedTo = source->text;
            vt.role = "tied";
            add(std::move(vt));
        }
    }
    if (progress.cancelled()) return makeError(Status::Cancelled, "loading was cancelled");
    doc->weightSets.push_back(std::move(set));
    finishLayout(*doc, std::move(layout));
    return doc;
}

} // namespace ckpt::distributed
