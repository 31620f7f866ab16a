#include "core/distributed/dcpwriter.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <map>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "core/catchboundary.h"
#include "core/distributed/chunkcopier.h"
#include "core/distributed/layout.h"
#include "core/distributed/savegraph.h"
#include "core/distributed/virtualtensors.h"
#include "core/edit/atomicfile.h"
#include "core/edit/safetensorswriter.h"
#include "core/format/loader.h"
#include "core/io/mappedfile.h"
#include "core/limits.h"
#include "core/pickle/pickler.h"
#include "core/zip/alignedzipwriter.h"

namespace ckpt::distributed
{

namespace
{

// torch 1.13's module paths (torch/distributed/_shard/checkpoint/{metadata,filesystem}.py and
// torch/distributed/_shard/sharded_tensor/metadata.py).
constexpr const char* kMetadataModule = "torch.distributed._shard.checkpoint.metadata";
constexpr const char* kFilesystemModule = "torch.distributed._shard.checkpoint.filesystem";
constexpr const char* kPropertiesModule = "torch.distributed._shard.sharded_tensor.metadata";
// Bytes handed to the zip writer at a time: large enough to amortise write(), small enough to stay one block.
constexpr uint64_t kBlockBytes = 16ull << 20;

// One shard: rows [rowBegin, rowEnd) of a tensor on one rank (a 0-d tensor: its one element on rank 0).
struct Shard {
    size_t tensor = 0; // index into the planned tensors
    int rank = 0;
    int64_t rowBegin = 0;
    int64_t rowEnd = 0;
    std::vector<int64_t> offsets;
    std::vector<int64_t> sizes;
    size_t chunkIndex = 0;   // position in the tensor's chunk list (MetadataIndex.index)
    uint64_t fileOffset = 0; // where its torch.save archive starts in the rank file
    uint64_t length = 0;     // and its length
    uint64_t hash = 0;       // XXH3-64 of the shard's elements, row-major
};

struct PlannedTensor {
    std::string key;
    const TensorInfo* info = nullptr;
    const Checkpoint* doc = nullptr;
    const VirtualTensor* virtualTensor = nullptr; // a DCP / ZeRO input: its rows come from its chunks
    const uint8_t* data = nullptr;                // else the first element in the mapped input
    bool rowMajor = true;
    bool releasable = false; // the bytes are a file mapping whose read pages may be dropped
    uint64_t rowBytes = 0;   // bytes of one dim-0 row (the element of a 0-d tensor)
    std::vector<size_t> shards;
};

std::string rankFileName(int rank)
{
    return "__" + std::to_string(rank) + "_0.distcp";
}

bool torch113Holds(DType dtype)
{
    switch (dtype) {
    case DType::Float64:
    case DType::Float32:
    case DType::Float16:
    case DType::BFloat16:
    case DType::Int64:
    case DType::Int32:
    case DType::Int16:
    case DType::Int8:
    case DType::UInt8:
    case DType::Bool:
    case DType::Complex128:
    case DType::Complex64:
        return true;
    default:
        return false;
    }
}

void dropPages(const uint8_t* begin, const uint8_t* end)
{
    static const uintptr_t page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
    uintptr_t from = (reinterpret_cast<uintptr_t>(begin) + page - 1) / page * page;
    uintptr_t to = reinterpret_cast<uintptr_t>(end) / page * page;
    if (to > from) madvise(reinterpret_cast<void*>(from), to - from, MADV_DONTNEED);
}

// A torch.save archive written at an offset inside a rank file: its own offsets count from its first byte, as
// torch.save into a stream positioned there writes them (FileSystemReader hands torch.load a slice of the file).
class SliceSink : public ZipWriterSink
{
public:
    explicit SliceSink(ZipWriterSink& file) : m_file(file), m_base(file.position()) {}
    VoidResult write(const void* data, size_t size) override { return m_file.write(data, size); }
    VoidResult writeAt(uint64_t offset, const void* data, size_t size) override
    {
        return m_file.writeAt(m_base + offset, data, size);
    }
    uint64_t position() const override { return m_file.position() - m_base; }

private:
    ZipWriterSink& m_file;
    uint64_t m_base;
};

// The rows of one shard, a block at a time: a view of the mapped input when the tensor is row-major (its read
// pages dropped once written), else the block's rows gathered into a buffer; for a tensor of a distributed
// input (resharding a DCP or ZeRO directory), the rows ChunkCopier assembles from its chunks.
class ShardRows
{
public:
    ShardRows(const PlannedTensor& tensor, const Shard& shard) : m_tensor(tensor), m_shard(shard) {}
    ~ShardRows() { release(); }
    ShardRows(const ShardRows&) = delete;
    ShardRows& operator=(const ShardRows&) = delete;

    uint64_t size() const { return static_cast<uint64_t>(m_shard.rowEnd - m_shard.rowBegin) * m_tensor.rowBytes; }

    Result<AlignedZipWriter::PayloadPiece> next(uint64_t at)
    {
        release();
        if (m_tensor.virtualTensor) {
            if (!m_copier) m_copier = std::make_unique<ChunkCopier>(*m_tensor.doc, *m_tensor.virtualTensor);
            auto block = m_copier->next(static_cast<uint64_t>(m_shard.rowBegin) * m_tensor.rowBytes + at); // whole rows
            if (!block) return block.error();
            return AlignedZipWriter::PayloadPiece{reinterpret_cast<const uint8_t*>(block.value().data()),
                                                  std::min<uint64_t>(block.value().size(), size() - at)};
        }
        const TensorInfo& info = *m_tensor.info;
        const uint64_t element = dtypeElementSize(info.dtype);
        if (m_tensor.rowMajor) {
            const uint8_t* begin = m_tensor.data + static_cast<uint64_t>(m_shard.rowBegin) * m_tensor.rowBytes + at;
            uint64_t length = std::min(kBlockBytes, size() - at);
            if (m_tensor.releasable) m_held = {begin, begin + length};
            return AlignedZipWriter::PayloadPiece{begin, length};
        }
        // Whole rows only (the writer asks again from where the last block ended).
        const int64_t row = m_shard.rowBegin + static_cast<int64_t>(at / m_tensor.rowBytes);
        const int64_t rows = std::min<int64_t>(
            m_shard.rowEnd - row, std::max<int64_t>(1, static_cast<int64_t>(kBlockBytes / m_tensor.rowBytes)));
        std::vector<int64_t> shape = info.shape;
        shape[0] = rows;
        gatherStrided(m_tensor.data + static_cast<uint64_t>(row * info.stride[0]) * element, shape, info.stride,
                      element, m_buffer);
        return AlignedZipWriter::PayloadPiece{reinterpret_cast<const uint8_t*>(m_buffer.data()), m_buffer.size()};
    }

private:
    void release()
    {
        if (m_held.first) dropPages(m_held.first, m_held.second);
        m_held = {nullptr, nullptr};
    }

    const PlannedTensor& m_tensor;
    const Shard& m_shard;
    std::string m_buffer;
    std::pair<const uint8_t*, const uint8_t*> m_held{nullptr, nullptr};
    std::unique_ptr<ChunkCopier> m_copier;
};

// The data.pkl of torch.save(shard): a tensor owning one storage, record "0".
Result<std::string> shardPickle(DType dtype, const std::vector<int64_t>& sizes)
{
    ValueArena arena;
    GraphBuilder build(arena);
    uint64_t numel = 1;
    for (int64_t d : sizes)
        numel *= static_cast<uint64_t>(d);
    return Pickler::dump(build.tensor(build.storageId(dtype, "0", numel), sizes, rowMajorStrides(sizes)));
}

// Metadata(state_dict_metadata, planner_data=None, storage_data) as 1.13's FileSystemWriter.finish pickles it.
Result<std::string> metadataPickle(const std::vector<PlannedTensor>& tensors, const std::vector<Shard>& shards)
{
    ValueArena arena;
    GraphBuilder build(arena);
    auto cls = [&](const std::string& module, const std::string& name) { return build.global(module, name); };
    const Value* chunkClass = cls(kMetadataModule, "ChunkStorageMetadata");
    const Value* tensorClass = cls(kMetadataModule, "TensorStorageMetadata");
    const Value* indexClass = cls(kMetadataModule, "MetadataIndex");
    const Value* storageInfoClass = cls(kFilesystemModule, "_StorageInfo");
    auto entry = [&](Value* state, const char* name, const Value* value) {
        state->entries.push_back({build.string(name), value});
    };

    // TensorProperties(dtype, layout, requires_grad, memory_format, pin_memory) through its own __getstate__:
    // the layout as torch.serialization._get_layout("torch.strided"), the memory format as the member
    // MEM_FORMAT_ENCODING.TORCH_CONTIGUOUS_FORMAT (Python 3.11 pickles an enum member as getattr(cls, name)).
    auto properties = [&](DType dtype) {
        Value* layout = arena.make(ValueKind::Object);
        layout->callable = cls("torch.serialization", "_get_layout");
        layout->args = build.tuple({build.string("torch.strided")});
        Value* memoryFormat = arena.make(ValueKind::Object);
        memoryFormat->callable = cls("builtins", "getattr");
        memoryFormat->args =
            build.tuple({cls(kPropertiesModule, "MEM_FORMAT_ENCODING"), build.string("TORCH_CONTIGUOUS_FORMAT")});
        Value* v = arena.make(ValueKind::Object);
        v->how = ObjectHow::NewObj;
        v->callable = cls(kPropertiesModule, "TensorProperties");
        v->args = build.tuple({});
        v->hasState = true;
        v->state = build.tuple({cls("torch", std::string(dtypeName(dtype))), layout, build.boolean(false), memoryFormat,
                                build.boolean(false)});
        return v;
    };

    Value* stateDictMetadata = build.dict();
    Value* storageData = build.dict();
    for (const PlannedTensor& t : tensors) {
        Value* chunks = arena.make(ValueKind::List);
        for (size_t s : t.shards) {
            Value* chunkState = nullptr;
            Value* chunk = build.instance(chunkClass, chunkState);
            entry(chunkState, "offsets", build.torchSize(shards[s].offsets));
            entry(chunkState, "sizes", build.torchSize(shards[s].sizes));
            chunks->items.push_back(chunk);
        }
        Value* tensorState = nullptr;
        Value* tensorMetadata = build.instance(tensorClass, tensorState);
        entry(tensorState, "properties", properties(t.info->dtype));
        entry(tensorState, "size", build.torchSize(t.info->shape));
        entry(tensorState, "chunks", chunks);
        stateDictMetadata->entries.push_back({build.string(t.key), tensorMetadata});
    }
    // storage_data in the order the ranks' write results are gathered: rank by rank, each in write order.
    std::vector<const Shard*> byRank;
    for (const Shard& s : shards)
        byRank.push_back(&s);
    std::stable_sort(byRank.begin(), byRank.end(), [](const Shard* a, const Shard* b) { return a->rank < b->rank; });
    for (const Shard* s : byRank) {
        // MetadataIndex.__init__ sets fqn, index, then offset: its __dict__ keeps that order.
        Value* indexState = nullptr;
        Value* index = build.instance(indexClass, indexState);
        entry(indexState, "fqn", build.string(tensors[s->tensor].key));
        entry(indexState, "index", build.integer(static_cast<int64_t>(s->chunkIndex)));
        entry(indexState, "offset", build.torchSize(s->offsets));
        Value* infoState = nullptr;
        Value* info = build.instance(storageInfoClass, infoState);
        entry(infoState, "relative_path", build.string(rankFileName(s->rank)));
        entry(infoState, "offset", build.integer(static_cast<int64_t>(s->fileOffset)));
        entry(infoState, "length", build.integer(static_cast<int64_t>(s->length)));
        storageData->entries.push_back({index, info});
    }
    Value* metadataState = nullptr;
    Value* metadata = build.instance(cls(kMetadataModule, "Metadata"), metadataState);
    entry(metadataState, "state_dict_metadata", stateDictMetadata);
    entry(metadataState, "planner_data", build.none());
    entry(metadataState, "storage_data", storageData);
    return Pickler::dump(metadata);
}

Error ioError(const std::string& what)
{
    return makeError(Status::IoError, what + ": " + std::strerror(errno));
}

// The temporary directory the checkpoint is written into, beside the target; removed unless committed.
class TempDirectory
{
public:
    static Result<std::unique_ptr<TempDirectory>> create(const std::filesystem::path& target)
    {
        std::filesystem::path parent = target.parent_path();
        if (parent.empty()) parent = ".";
        static constexpr char kChars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        for (int attempt = 0; attempt < 100; ++attempt) {
            uint64_t unique = 0;
            if (::getrandom(&unique, sizeof unique, GRND_NONBLOCK) != sizeof unique)
                unique = static_cast<uint64_t>(::getpid()) << 40 ^ static_cast<uint64_t>(::time(nullptr)) ^
                         static_cast<uint64_t>(attempt);
            std::string name = "." + target.filename().string() + ".ckpt-";
            for (int i = 0; i < 6; ++i, unique /= 62)
                name += kChars[unique % 62];
            std::filesystem::path path = parent / name;
            // mkdir with 0777 lets the umask decide the permissions, as for any new directory.
            if (::mkdir(path.c_str(), 0777) == 0) {
                std::unique_ptr<TempDirectory> dir(new TempDirectory);
                dir->m_path = path;
                return dir;
            }
            if (errno != EEXIST) return ioError("cannot create a temporary directory in " + parent.string());
        }
        return makeError(Status::IoError, "cannot create a temporary directory in " + parent.string());
    }
    ~TempDirectory()
    {
        std::error_code ec;
        if (!m_path.empty()) std::filesystem::remove_all(m_path, ec);
    }
    const std::filesystem::path& path() const { return m_path; }
    // The directory now lives elsewhere (or holds what it replaced, which is then removed): stop tracking it.
    void forget() { m_path.clear(); }

private:
    TempDirectory() = default;
    std::filesystem::path m_path;
};

VoidResult syncDirectory(const std::filesystem::path& dir)
{
    int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return ioError("cannot open " + dir.string() + " to sync it");
    int rc = ::fsync(fd);
    ::close(fd);
    if (rc != 0) return ioError("cannot sync " + dir.string());
    return Done{};
}

// Re-opens the written directory with the DCP reader and checks every chunk against what was written.
VoidResult verifyDirectory(const std::string& dir, const std::vector<PlannedTensor>& tensors,
                           const std::vector<Shard>& shards)
{
    auto fail = [](const std::string& detail) { return makeError(Status::Corrupt, "verification failed: " + detail); };
    auto loaded = loadCheckpoint(dir);
    if (!loaded) {
        Error error = loaded.error();
        error.detail = "the written directory does not read back: " + error.detail;
        return error;
    }
    const Checkpoint& written = *loaded.value();
    if (!written.distributed) return fail("the written directory does not read back as a DCP checkpoint");
    const Layout& layout = *written.distributed;
    if (!layout.problems.empty()) return fail(layout.problems.front().file + ": " + layout.problems.front().what);
    if (layout.tensors.size() != tensors.size())
        return fail("it holds " + std::to_string(layout.tensors.size()) + " tensors, " +
                    std::to_string(tensors.size()) + " were written");
    std::map<std::string, const VirtualTensor*> byKey;
    for (const VirtualTensor& t : layout.tensors)
        byKey[t.key] = &t;
    for (const PlannedTensor& planned : tensors) {
        auto found = byKey.find(planned.key);
        if (found == byKey.end()) return fail("'" + planned.key + "' is missing");
        const VirtualTensor& t = *found->second;
        if (t.dtype != planned.info->dtype || t.shape != planned.info->shape)
            return fail("'" + planned.key + "' reads back as " + std::string(dtypeName(t.dtype)) + " " +
                        shapeText(t.shape));
        if (!t.coverage.complete) return fail("'" + planned.key + "': " + t.coverage.problem);
        if (t.chunks.size() != planned.shards.size())
            return fail("'" + planned.key + "' has " + std::to_string(t.chunks.size()) + " chunks, " +
                        std::to_string(planned.shards.size()) + " were written");
        for (size_t s : planned.shards) {
            const Shard& shard = shards[s];
            const Chunk* chunk = nullptr;
            for (const Chunk& c : t.chunks)
                if (c.offsets == shard.offsets) chunk = &c;
            if (!chunk || chunk->sizes != shard.sizes || chunk->fileName != rankFileName(shard.rank) ||
                !chunk->problem.empty() || chunk->file < 0 || chunk->stride != rowMajorStrides(shard.sizes))
                return fail("the chunk of '" + planned.key + "' at " + shapeText(shard.offsets) + " in " +
                            rankFileName(shard.rank) + " does not read back as written");
            const MappedFile& file = *written.files[static_cast<size_t>(chunk->file)];
            uint64_t bytes = static_cast<uint64_t>(shard.rowEnd - shard.rowBegin) * planned.rowBytes;
            if (chunk->dataOffset > file.size() || bytes > file.size() - chunk->dataOffset)
                return fail("the chunk of '" + planned.key + "' in " + rankFileName(shard.rank) + " is cut short");
            const uint8_t* data = file.data() + chunk->dataOffset;
            uint64_t hash = bytes ? XXH3_64bits(data, bytes) : 0;
            dropPages(data, data + bytes);
            if (hash != shard.hash)
                return fail("the chunk of '" + planned.key + "' at " + shapeText(shard.offsets) + " in " +
                            rankFileName(shard.rank) + " reads back with other bytes");
        }
    }
    if (auto unchanged = written.checkFilesUnchanged(); !unchanged) return unchanged.error();
    return Done{};
}

Result<DcpWriteReport> writeUnguarded(const Checkpoint& doc, const WeightSet& set, const std::string& outDir,
                                      int worldSize, bool force, const Progress& progress)
{
    if (worldSize < 1 || static_cast<size_t>(worldSize) > limits::kMaxRankFiles)
        return makeError(Status::Unsupported,
                         "the world size must be between 1 and " + std::to_string(limits::kMaxRankFiles));
    std::filesystem::path target(outDir);
    while (target.has_filename() == false && target.has_parent_path() && target != target.root_path())
        target = target.parent_path(); // "out/" names "out"
    std::error_code ec;
    const bool exists = std::filesystem::symlink_status(target, ec).type() != std::filesystem::file_type::not_found;
    if (exists && !force) return makeError(Status::Refused, "the output exists; pass --force to replace it");

    // Plan every tensor and shard before a byte is written.
    std::vector<PlannedTensor> tensors;
    std::vector<Shard> shards;
    std::vector<std::vector<size_t>> byRank(static_cast<size_t>(worldSize));
    uint64_t total = 0;
    for (const WeightEntry& entry : set.entries) {
        if (entry.tensor < 0 || static_cast<size_t>(entry.tensor) >= doc.tensors.size())
            return makeError(Status::Unsupported, "'" + entry.key + "' is not a tensor");
        const TensorInfo& info = doc.tensors[static_cast<size_t>(entry.tensor)];
        if (info.layout != TensorLayout::Strided)
            return makeError(Status::Unsupported, "'" + entry.key +
                                                      "' is not a dense tensor; a DCP layout of "
                                                      "row-sharded tensors holds dense ones only");
        if (!torch113Holds(info.dtype))
            return makeError(Status::Unsupported, "'" + entry.key + "' is " + std::string(dtypeName(info.dtype)) +
                                                      ", which torch 1.13 cannot load");
        PlannedTensor planned;
        planned.key = entry.key;
        planned.info = &info;
        planned.doc = &doc;
        if (doc.distributed) planned.virtualTensor = doc.distributed->forTensor(entry.tensor);
        if (planned.virtualTensor && !planned.virtualTensor->coverage.complete)
            return makeError(Status::Truncated,
                             "'" + entry.key + "' cannot be resharded: " + planned.virtualTensor->coverage.problem);
        planned.data = planned.virtualTensor ? nullptr : doc.tensorData(entry.tensor);
        if (!planned.virtualTensor && !planned.data && info.nbytes > 0)
            return makeError(Status::Unsupported,
                             "the bytes of '" + entry.key + "' are not available" +
                                 (info.problem.empty() ? std::string() : " (" + info.problem + ")"));
        planned.rowMajor = isRowMajor(info.shape, info.stride);
        if (info.storage >= 0 && static_cast<size_t>(info.storage) < doc.storages.size()) {
            const StorageInfo& storage = doc.storages[static_cast<size_t>(info.storage)];
            planned.releasable = storage.available && !storage.owned;
        }
        const uint64_t element = dtypeElementSize(info.dtype);
        const int64_t rows = info.shape.empty() ? 1 : info.shape[0];
        planned.rowBytes = info.shape.empty() ? element : (rows ? info.nbytes / static_cast<uint64_t>(rows) : 0);
        // ChunkShardingSpec(dim=0): split = ceil(rows / world), rank r gets [r*split, min((r+1)*split, rows)) and
        // no shard when that is empty. A 0-d tensor (and a tensor with no rows) is written whole by rank 0, as
        // save_state_dict writes a plain tensor on the coordinator.
        const int64_t split = info.shape.empty() || rows == 0 ? rows : (rows + worldSize - 1) / worldSize;
        for (int rank = 0; rank < worldSize; ++rank) {
            Shard shard;
            shard.tensor = tensors.size();
            shard.rank = rank;
            if (info.shape.empty() || rows == 0) {
                if (rank > 0) break;
                shard.rowBegin = 0;
                shard.rowEnd = rows;
                shard.offsets.assign(info.shape.size(), 0);
                shard.sizes = info.shape;
            } else {
                shard.rowBegin = std::min<int64_t>(rows, split * rank);
                shard.rowEnd = std::min<int64_t>(rows, split * (rank + 1));
                if (shard.rowEnd <= shard.rowBegin) break;
                shard.offsets.assign(info.shape.size(), 0);
                shard.offsets[0] = shard.rowBegin;
                shard.sizes = info.shape;
                shard.sizes[0] = shard.rowEnd - shard.rowBegin;
            }
            shard.chunkIndex = planned.shards.size();
            planned.shards.push_back(shards.size());
            byRank[static_cast<size_t>(rank)].push_back(shards.size());
            total += static_cast<uint64_t>(shard.rowEnd - shard.rowBegin) * planned.rowBytes;
            shards.push_back(std::move(shard));
        }
        tensors.push_back(std::move(planned));
    }

    auto created = TempDirectory::create(target);
    if (!created) return created.error();
    std::unique_ptr<TempDirectory> temp = std::move(created).value();
    DcpWriteReport report;
    uint64_t done = 0;
    for (int rank = 0; rank < worldSize; ++rank) {
        auto opened = AtomicFile::create((temp->path() / rankFileName(rank)).string());
        if (!opened) return opened.error();
        std::unique_ptr<AtomicFile> file = std::move(opened).value();
        for (size_t s : byRank[static_cast<size_t>(rank)]) {
            Shard& shard = shards[s];
            const PlannedTensor& planned = tensors[shard.tensor];
            shard.fileOffset = file->position();
            SliceSink sink(*file);
            AlignedZipWriter zip(sink, "archive"); // torch.save into a stream names its folder "archive"
            auto pickle = shardPickle(planned.info->dtype, shard.sizes);
            if (!pickle) return pickle.error();
            if (auto r = zip.addRecord("data.pkl", pickle.value().data(), pickle.value().size()); !r) return r.error();
            ShardRows rows(planned, shard);
            auto source = [&](uint64_t at) -> Result<AlignedZipWriter::PayloadPiece> {
                if (progress.cancelled()) return makeError(Status::Cancelled, "the export was cancelled");
                auto piece = rows.next(at);
                if (piece) progress.tick(done += piece.value().size, total);
                return piece;
            };
            if (rows.size() > 0) {
                if (auto r = zip.addRecordFrom("data/0", rows.size(), source, &shard.hash); !r) return r.error();
            } else if (auto r = zip.addRecord("data/0", "", 0); !r) {
                return r.error();
            }
            if (auto r = zip.addRecord("version", "3\n", 2); !r) return r.error();
            if (auto r = zip.finish(); !r) return r.error();
            shard.length = file->position() - shard.fileOffset;
            report.payloadBytes += rows.size();
            ++report.chunks;
        }
        if (auto committed = file->commit(); !committed) return committed.error();
        ++report.files;
    }
    // Every input byte has been read: an input changed meanwhile may have handed out a mix of old and new.
    if (auto unchanged = doc.checkFilesUnchanged(); !unchanged) return unchanged.error();

    auto metadata = metadataPickle(tensors, shards);
    if (!metadata) return metadata.error();
    auto opened = AtomicFile::create((temp->path() / ".metadata").string());
    if (!opened) return opened.error();
    if (auto r = opened.value()->write(metadata.value().data(), metadata.value().size()); !r) return r.error();
    if (auto r = opened.value()->commit(); !r) return r.error();
    if (auto r = syncDirectory(temp->path()); !r) return r.error();

    if (auto verified = verifyDirectory(temp->path().string(), tensors, shards); !verified) return verified.error();
    report.tensors = tensors.size();

    // Into place: a plain rename that refuses to replace anything, or with --force an exchange with what is
    // there (so the target always names a complete checkpoint), after which the old one is removed.
    if (::renameat2(AT_FDCWD, temp->path().c_str(), AT_FDCWD, target.c_str(),
                    exists ? RENAME_EXCHANGE : RENAME_NOREPLACE) != 0)
        return ioError("cannot rename the finished directory into place");
    if (!exists) temp->forget(); // else the temporary path now holds the old output, removed with it
    if (auto r = syncDirectory(target.parent_path()); !r) return r.error();
    return report;
}

} // namespace

Result<DcpWriteReport> writeDcp(const Checkpoint& doc, const WeightSet& set, const std::string& outDir, int worldSize,
                                bool force, const Progress& progress)
{
    return catchBoundary("writing the DCP directory",
                         [&] { return writeUnguarded(doc, set, outDir, worldSize, force, progress); });
}

} // namespace ckpt::distributed
