#include "core/edit/exporter.h"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include <nlohmann/json.hpp>
#include <sys/stat.h>

#include "core/catchboundary.h"
#include "core/edit/atomicfile.h"
#include "core/edit/exportverifier.h"
#include "core/edit/graphrewriter.h"
#include "core/edit/safetensorswriter.h"
#include "core/edit/statedictbuilder.h"
#include "core/pickle/pickler.h"
#include "core/zip/alignedzipwriter.h"

namespace ckpt
{

namespace
{

// torch.save names the zip folder after the file ("my.ckpt.pth" -> "my.ckpt"); keep that when the name
// is plain ASCII, as 2.x writes "archive" otherwise.
std::string archiveFolder(const std::string& output)
{
    size_t slash = output.find_last_of('/');
    std::string name = slash == std::string::npos ? output : output.substr(slash + 1);
    size_t dot = name.find_last_of('.');
    if (dot != std::string::npos && dot > 0) name.erase(dot);
    if (name.empty()) return "archive";
    for (char c : name)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.')) return "archive";
    return name;
}

std::vector<int> weightTensors(const Checkpoint& checkpoint, const WeightSet& set)
{
    std::vector<int> tensors;
    std::unordered_set<int> seen;
    std::vector<int> pending;
    for (const WeightEntry& entry : set.entries)
        pending.push_back(entry.tensor);
    while (!pending.empty()) { // a quantized or sparse weight brings its component tensors along
        int tensor = pending.back();
        pending.pop_back();
        if (tensor < 0 || !seen.insert(tensor).second) continue;
        tensors.push_back(tensor);
        for (int part : checkpoint.tensors[static_cast<size_t>(tensor)].parts)
            pending.push_back(part);
    }
    return tensors;
}

VoidResult refuseDangerous(const Checkpoint& checkpoint)
{
    std::string names;
    for (const GlobalRef& ref : checkpoint.globals)
        if (ref.severity == Severity::Dangerous)
            names += (names.empty() ? "" : ", ") + ref.module + "." + ref.name + (ref.via.empty() ? "" : " " + ref.via);
    for (const DangerousCall& call : checkpoint.dangerousCalls)
        names += (names.empty() ? "" : ", ") + call.loader->text + "." + call.loader->text2 + " (" + call.why + ")";
    if (names.empty()) return Done{};
    return makeError(Status::Refused, "the pickle imports dangerous globals (" + names +
                                          "); refusing to write them into a new file (--drop-dangerous writes it "
                                          "without the objects that use them)");
}

// Whether the rewrite wrote a tensor: its rebuild node, or, for a derived state dict (which holds a
// Parameter's data tensor rather than the Parameter), that data tensor.
bool tensorWritten(const GraphRewriter& rewriter, const TensorInfo& info)
{
    const Value* node = info.node;
    if (!node || rewriter.wrote(node)) return true;
    const Value* function = node->callableGlobal();
    bool parameter =
        function && function->text == "torch._utils" && function->text2.rfind("_rebuild_parameter", 0) == 0;
    return parameter && node->args && !node->args->items.empty() && rewriter.wrote(node->args->items[0]);
}

// Dangerous globals that no dropped value accounts for were never part of what was written: a payload in
// another pickle of the file, a popped or overwritten value, or (with --state-dict-only) outside the weights.
void reportUnwritten(const Checkpoint& checkpoint, std::vector<DroppedValue>& dropped)
{
    for (const GlobalRef& ref : checkpoint.globals) {
        if (ref.severity != Severity::Dangerous) continue;
        std::string name = ref.module + "." + ref.name;
        bool accounted = false;
        // A global inside a loader's payload went with the loader call that was dropped.
        for (const DroppedValue& value : dropped)
            accounted = accounted || value.global == name || (!ref.viaLoader.empty() && value.global == ref.viaLoader);
        if (!accounted) dropped.push_back(DroppedValue{"", name, "not written"});
    }
    for (const DangerousCall& call : checkpoint.dangerousCalls) {
        std::string name = call.loader->text + "." + call.loader->text2;
        bool accounted = std::any_of(dropped.begin(), dropped.end(),
                                     [&](const DroppedValue& value) { return value.global == name; });
        if (!accounted) dropped.push_back(DroppedValue{"", name, "not written"});
    }
}

VoidResult checkOutputPath(const std::string& input, const std::string& output, bool force)
{
    struct stat in {
    };
    struct stat out {
    };
    bool outputExists = ::stat(output.c_str(), &out) == 0;
    if (outputExists && ::stat(input.c_str(), &in) == 0 && in.st_dev == out.st_dev && in.st_ino == out.st_ino)
        return makeError(Status::Refused, "the output is the input file; write to another path");
    if (outputExists && S_ISDIR(out.st_mode)) return makeError(Status::IoError, "the output is a directory");
    if (outputExists && !force) return makeError(Status::Refused, "the output exists; pass --force to replace it");
    return Done{};
}

} // namespace

nlohmann::json ExportReport::toJson() const
{
    nlohmann::json droppedJson = nlohmann::json::array();
    for (const DroppedValue& value : dropped)
        droppedJson.push_back(value.toJson());
    return {{"weight_set", weightSet}, {"plan", plan.toJson()}, {"tensors_verified", tensors},
            {"keys_verified", keys},   {"records", records},    {"payload_bytes", payloadBytes},
            {"file_bytes", fileBytes}, {"dropped", droppedJson}};
}

Exporter::Exporter(CheckpointPtr input, ExportOptions options)
    : m_input(std::move(input)), m_options(std::move(options))
{
}

const WeightSet* Exporter::weightSet() const
{
    if (m_options.select.empty()) return m_input->mainWeightSet();
    for (const WeightSet& set : m_input->weightSets)
        if (pathToString(set.at) == m_options.select) return &set;
    return nullptr;
}

Result<RenamePlan> Exporter::plan() const
{
    const WeightSet* set = weightSet();
    if (!set && !m_options.select.empty())
        return makeError(Status::Unsupported, "no state dict at `" + m_options.select + "`");
    std::vector<std::string> keys;
    if (set)
        for (const WeightEntry& entry : set->entries)
            keys.push_back(entry.key);
    return RenamePlan::build(keys, m_options.rule, m_options.layout);
}

Result<ExportReport> Exporter::run(const std::string& output, const Progress& progress) const
{
    return catchBoundary("exporting", [&] { return runUnguarded(output, progress); });
}

Result<ExportReport> Exporter::runUnguarded(const std::string& output, const Progress& progress) const
{
    const Checkpoint& input = *m_input;
    bool drop = m_options.dropDangerous;
    if (!drop)
        if (auto safe = refuseDangerous(input); !safe) return safe.error();
    if (auto path = checkOutputPath(input.file, output, m_options.force); !path) return path.error();
    Result<RenamePlan> planned = plan();
    if (!planned) return planned.error();
    ExportReport report;
    report.plan = std::move(planned).value();
    const RenamePlan& plan = report.plan;
    const WeightSet* set = weightSet();
    if (set) report.weightSet = pathToString(set->at);
    bool torch = m_options.format == ExportFormat::Torch;
    bool stateDictOnly = m_options.stateDictOnly || !torch;
    if (!set && (stateDictOnly || plan.changesAnything()))
        return makeError(Status::Unsupported, "the file holds no state dict to export");
    if (!input.root && torch)
        return makeError(Status::Unsupported,
                         "a " + std::string(formatName(input.format)) +
                             " file has no pickle to re-write; export it with --format safetensors");

    ExportExpectation expected;
    if (set) expected.weightSetAt = stateDictOnly ? Path{} : set->at;
    // With drop, the weight-set entries whose tensor went with a payload (all true otherwise).
    std::vector<bool> keptEntry(set ? set->entries.size() : 0, true);

    ValueArena arena;
    GraphRewriter rewriter(input, arena, m_options.locations);
    std::string pickle;
    std::vector<int> storages;
    std::vector<SafetensorsTensor> flat;
    if (torch) {
        const Value* root = input.root;
        if (drop) rewriter.dropDangerous();
        if (stateDictOnly && set->derived) {
            Result<const Value*> built = buildDerivedStateDict(input, *set, plan, arena);
            if (!built) return built.error();
            root = built.value();
        } else if (set && (stateDictOnly || plan.changesAnything())) {
            if (set->derived)
                return makeError(Status::Unsupported, "the keys of a whole-model pickle are module attributes; "
                                                      "rename them with --state-dict-only");
            if (!set->dict) return makeError(Status::Unsupported, "the state dict has no dict to rename");
            rewriter.renameDict(set->dict, &plan);
            if (stateDictOnly) root = set->dict;
        }
        Result<const Value*> rewritten = rewriter.rewrite(root);
        if (!rewritten) return rewritten.error();
        Result<std::string> dumped = Pickler::dump(rewritten.value());
        if (!dumped) return dumped.error();
        pickle = std::move(dumped).value();
        storages = rewriter.storages();
        if (drop) {
            report.dropped = rewriter.dropped();
            for (size_t i = 0; set && i < set->entries.size(); ++i) {
                int tensor = set->entries[i].tensor;
                keptEntry[i] = tensor < 0 || tensorWritten(rewriter, input.tensors[static_cast<size_t>(tensor)]);
            }
        }
        for (int storage : storages) {
            const StorageInfo& info = input.storages[static_cast<size_t>(storage)];
            if (!input.storageData(storage) && info.nbytes > 0)
                return makeError(Status::Unsupported, "the bytes of storage `" + info.key + "` are not available");
            report.payloadBytes += info.nbytes;
        }
    } else {
        for (size_t i = 0; i < set->entries.size(); ++i) {
            const WeightEntry& entry = set->entries[i];
            const TensorInfo& info = input.tensors[static_cast<size_t>(entry.tensor)];
            const std::string& name = plan.pairs()[i].to;
            if (info.layout != TensorLayout::Strided)
                return makeError(Status::Refused, "`" + entry.key + "` is a " + layoutName(info.layout) +
                                                      " tensor, which the safetensors format cannot hold");
            if (dtypeIsQuantized(info.dtype))
                return makeError(Status::Refused, "`" + entry.key + "` is quantized (" +
                                                      std::string(dtypeName(info.dtype)) +
                                                      "), which the safetensors format cannot hold");
            const uint8_t* data = input.tensorData(entry.tensor);
            if (!data && info.numel() > 0)
                return makeError(Status::Unsupported, "the bytes of `" + entry.key + "` are not available");
            flat.push_back(SafetensorsTensor{name, info.dtype, info.shape, info.stride, data});
            report.payloadBytes += info.nbytes;
        }
    }
    if (drop) reportUnwritten(input, report.dropped);
    for (size_t i = 0; set && i < set->entries.size(); ++i)
        if (keptEntry[i]) expected.keys.push_back(plan.pairs()[i].to);
    // A state dict whose every entry went is an empty dict, which no longer reads as a state dict.
    expected.hasWeightSet = set && (!expected.keys.empty() || set->entries.empty());

    Result<std::unique_ptr<AtomicFile>> created = AtomicFile::create(output);
    if (!created) return created.error();
    std::unique_ptr<AtomicFile> file = std::move(created).value();
    std::unique_ptr<ZipWriterSink> decorated = m_decorator ? m_decorator(*file) : nullptr;
    ZipWriterSink& sink = decorated ? *decorated : *file;

    std::unordered_map<int, uint64_t> storageHash; // input storage -> XXH3 of its bytes, from the copy pass
    if (torch) {
        AlignedZipWriter zip(sink, archiveFolder(output), m_options.forceZip64);
        zip.setProgress(&progress, report.payloadBytes);
        if (auto done = zip.addRecord("data.pkl", pickle.data(), pickle.size()); !done) return done.error();
        if (auto done = zip.addRecord("byteorder", "little", 6); !done) return done.error();
        for (size_t i = 0; i < storages.size(); ++i) {
            const StorageInfo& info = input.storages[static_cast<size_t>(storages[i])];
            uint64_t hash = 0;
            if (auto done =
                    zip.addRecord("data/" + std::to_string(i), input.storageData(storages[i]), info.nbytes, &hash);
                !done)
                return done.error();
            storageHash[storages[i]] = hash;
        }
        if (auto done = zip.addRecord("version", "3\n", 2); !done) return done.error();
        if (auto done = zip.finish(); !done) return done.error();
        report.records = storages.size();
    } else {
        std::vector<uint64_t> hashes;
        if (auto done = SafetensorsWriter::write(sink, flat, {{"format", "pt"}}, &hashes, &progress); !done)
            return done.error();
        report.records = flat.size();
        for (size_t i = 0; i < flat.size(); ++i) {
            TensorSignature signature{flat[i].dtype, flat[i].shape, flat[i].data ? hashes[i] : 0};
            expected.tensors.push_back(signature);
            expected.keyTensors.push_back(signature);
        }
    }
    report.fileBytes = file->position();
    if (auto closed = file->close(); !closed) return closed.error();

    if (torch) {
        // What the written file must hold, hashed from the input (whole-storage tensors reuse the copy's hash).
        auto signatureOf = [&](int tensor) {
            const TensorInfo& info = input.tensors[static_cast<size_t>(tensor)];
            auto known = storageHash.find(info.storage);
            if (known != storageHash.end() && info.offset == 0 && info.layout == TensorLayout::Strided &&
                info.nbytes == input.storages[static_cast<size_t>(info.storage)].nbytes &&
                isRowMajor(info.shape, info.stride) && input.tensorData(tensor))
                return TensorSignature{info.dtype, info.shape, known->second};
            return tensorSignature(input, tensor);
        };
        std::unordered_map<int, TensorSignature> cache;
        auto cached = [&](int tensor) -> const TensorSignature& {
            auto it = cache.find(tensor);
            if (it == cache.end()) it = cache.emplace(tensor, signatureOf(tensor)).first;
            return it->second;
        };
        auto written = [&](int tensor) {
            return !drop || tensorWritten(rewriter, input.tensors[static_cast<size_t>(tensor)]);
        };
        if (stateDictOnly) {
            for (int tensor : weightTensors(input, *set))
                if (written(tensor)) expected.tensors.push_back(cached(tensor));
        } else {
            for (size_t i = 0; i < input.tensors.size(); ++i)
                if (written(static_cast<int>(i))) expected.tensors.push_back(cached(static_cast<int>(i)));
        }
        for (size_t i = 0; set && i < set->entries.size(); ++i)
            if (keptEntry[i]) expected.keyTensors.push_back(cached(set->entries[i].tensor));
    }
    Result<VerifyCounts> verified = verifyExport(file->tempPath(), expected);
    if (!verified) return verified.error();
    report.tensors = verified.value().tensors;
    report.keys = verified.value().keys;
    // Every input byte is read by now (written, hashed): if an input changed on disk meanwhile, what was written
    // and what it was checked against may both be zeros or a mix of two versions, so nothing is committed.
    if (auto unchanged = input.checkFilesUnchanged(); !unchanged) return unchanged.error();
    if (auto committed = file->commit(); !committed) return committed.error();
    return report;
}

} // namespace ckpt
