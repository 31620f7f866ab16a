// Reading DCP and DeepSpeed ZeRO directories made by real torch (genuine 1.13 DCP) or byte-faithful to
// DeepSpeed and torch 2.x: every global tensor's dtype, shape and consolidated bytes against the SHA-256 the
// generator computed from its own masters (tests/fixtures/distributed), bytes items, and damaged copies.
#include <QCryptographicHash>
#include <QTest>

#include <fstream>

#include <nlohmann/json.hpp>

#include "core/distributed/chunkcopier.h"
#include "core/distributed/layout.h"
#include "core/format/loader.h"
#include "core/model/checkpointjson.h"

using namespace ckpt;
using nlohmann::json;

namespace
{

std::string dir(const QString& name)
{
    return std::string(CKPT_DISTRIBUTED_DIR) + "/" + name.toStdString();
}

json truth(const QString& name)
{
    std::ifstream in(dir(name) + ".truth.json");
    return json::parse(in, nullptr, false);
}

// SHA-256 of the tensor's consolidated row-major bytes, made the way export makes them.
std::string consolidatedSha(const Checkpoint& doc, const distributed::VirtualTensor& t, std::string& error)
{
    distributed::ChunkCopier copier(doc, t);
    QCryptographicHash hash(QCryptographicHash::Sha256);
    for (uint64_t at = 0; at < copier.size();) {
        auto block = copier.next(at);
        if (!block) {
            error = block.error().detail;
            return {};
        }
        hash.addData(QByteArrayView(block.value().data(), qsizetype(block.value().size())));
        at += block.value().size();
    }
    return hash.result().toHex().toStdString();
}

} // namespace

class TestDistributedReader : public QObject
{
    Q_OBJECT

private slots:
    void readsEveryTensor_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QString>("format");
        for (const char* n : {"dcp113_w2_single", "dcp113_w2_peritem", "dcp113_w3_uneven", "dcp24_flat"})
            QTest::newRow(n) << n << "dcp";
        for (const char* n : {"ds_z1_fp16", "ds_z2_bf16", "ds_z3_bf16", "ds_z3_w3"})
            QTest::newRow(n) << n << "deepspeed";
    }
    void readsEveryTensor()
    {
        QFETCH(QString, name);
        QFETCH(QString, format);
        json expected = truth(name);
        QVERIFY2(expected.is_object(), "truth file missing: run ctest -R generate_distributed_fixtures");
        auto loaded = loadCheckpoint(dir(name));
        QVERIFY2(loaded.ok(), loaded.ok() ? "" : loaded.error().describe(dir(name)).c_str());
        const Checkpoint& doc = *loaded.value();
        QCOMPARE(QString(formatName(doc.format)), format);
        QVERIFY(doc.distributed);
        QVERIFY2(doc.distributed->problems.empty(),
                 doc.distributed->problems.empty() ? "" : doc.distributed->problems[0].what.c_str());
        QCOMPARE(doc.distributed->tensors.size(), expected["tensors"].size());
        for (const auto& [key, want] : expected["tensors"].items()) {
            const distributed::VirtualTensor* found = nullptr;
            for (const auto& t : doc.distributed->tensors)
                if (t.key == key) found = &t;
            QVERIFY2(found, key.c_str());
            const TensorInfo& info = doc.tensors[size_t(found->tensor)];
            QCOMPARE(std::string(dtypeName(info.dtype)), want["dtype"].get<std::string>());
            QCOMPARE(info.shape, want["shape"].get<std::vector<int64_t>>());
            QVERIFY2(found->coverage.complete, (key + ": " + found->coverage.problem).c_str());
            std::string error;
            QCOMPARE(consolidatedSha(doc, *found, error), want["sha256"].get<std::string>());
            QVERIFY2(error.empty(), error.c_str());
        }
        // tree --json lists each tensor's chunks with file, offsets, sizes and byte range.
        json tree = treeToJson(doc);
        for (const auto& t : tree["tensors"]) {
            QVERIFY(t.contains("chunks"));
            for (const auto& c : t["chunks"]) {
                QVERIFY(c.contains("file") && c.contains("offsets") && c.contains("sizes"));
                QVERIFY(c["byte_range"][1].get<uint64_t>() > c["byte_range"][0].get<uint64_t>());
            }
        }
    }

    void genuineLayoutFacts()
    {
        // 1.13 with 2 ranks: 'rows.weight' 5x3 on dim 0 splits 3+2; 'cols.weight' on dim 1; 'bias' is
        // replicated and only the coordinator (rank 0) writes it; 'count' is 0-d.
        auto loaded = loadCheckpoint(dir("dcp113_w2_single"));
        QVERIFY(loaded.ok());
        const auto& layout = *loaded.value()->distributed;
        QCOMPARE(layout.facts.at("metadata_module"), std::string("torch.distributed._shard.checkpoint.metadata"));
        for (const auto& t : layout.tensors) {
            if (t.key == "rows.weight") {
                QCOMPARE(t.chunks.size(), size_t(2));
                QCOMPARE(t.chunks[0].sizes, (std::vector<int64_t>{3, 3}));
                QCOMPARE(t.chunks[1].offsets, (std::vector<int64_t>{3, 0}));
                QCOMPARE(t.chunks[1].fileName, std::string("__1_0.distcp"));
            }
            if (t.key == "cols.weight") QCOMPARE(t.chunks[1].offsets, (std::vector<int64_t>{0, 3}));
            if (t.key == "bias") QCOMPARE(t.chunks[0].fileName, std::string("__0_0.distcp"));
            if (t.key == "count") QVERIFY(t.shape.empty() && t.chunks[0].sizes.empty());
        }
        // Bytes items: safely unpickled values.
        bool step = false, cfg = false;
        for (const PlainValue& v : loaded.value()->values) {
            if (pathToString(v.path) == "step") step = v.value->kind == ValueKind::Int && v.value->integer == 10;
            if (pathToString(v.path) == "cfg") cfg = renderValue(v.value).find("'lr': 0.5") != std::string::npos;
        }
        QVERIFY(step);
        QVERIFY(cfg);
    }

    void synthetic2xPathsAndStrides()
    {
        auto loaded = loadCheckpoint(dir("dcp24_flat"));
        QVERIFY(loaded.ok());
        const Checkpoint& doc = *loaded.value();
        QCOMPARE(doc.distributed->facts.at("version"), std::string("1.0.0"));
        bool nested = false, transposed = false;
        for (const auto& t : doc.distributed->tensors) {
            if (t.key == "optimizer.state.0.exp_avg")
                nested = pathToString(doc.tensors[size_t(t.tensor)].path) == "optimizer/state/0/exp_avg";
            if (t.key == "model.weight") transposed = t.chunks[0].stride == std::vector<int64_t>{1, 4};
        }
        QVERIFY(nested);
        QVERIFY(transposed); // the stored chunk is a transposed view: strides honoured
    }

    void zeroFacts()
    {
        auto loaded = loadCheckpoint(dir("ds_z2_bf16"));
        QVERIFY(loaded.ok());
        const auto& layout = *loaded.value()->distributed;
        QCOMPARE(layout.facts.at("stage"), std::string("2"));
        QCOMPARE(layout.facts.at("dp_world_size"), std::string("2"));
        QCOMPARE(layout.facts.at("dtype_prefix"), std::string("bf16"));
        QCOMPARE(layout.facts.at("tag"), std::string("global_step10"));
        // The tag folder itself opens too.
        auto tag = loadCheckpoint(dir("ds_z3_bf16") + "/global_step10");
        QVERIFY(tag.ok());
        QCOMPARE(tag.value()->distributed->facts.at("stage"), std::string("3"));
    }

    void damagedDirectories_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QString>("file");   // the file the problem names
        QTest::addColumn<QString>("intact"); // a tensor still complete
        QTest::addColumn<QString>("broken"); // a tensor that is not
        QTest::newRow("missing rank") << "dcp_missing_rank"
                                      << "__1_0.distcp"
                                      << "bias"
                                      << "rows.weight";
        QTest::newRow("truncated rank") << "dcp_truncated_rank"
                                        << "__1_0.distcp"
                                        << "bias"
                                        << "";
        QTest::newRow("damaged chunk") << "dcp_damaged_chunk"
                                       << "__0_0.distcp"
                                       << "bias"
                                       << "";
        QTest::newRow("zstd") << "dcp_zstd"
                              << "__0_0.distcp"
                              << ""
                              << "model.weight";
        QTest::newRow("zero missing rank") << "ds_missing_rank"
                                           << "global_step10/bf16_zero_pp_rank_1_mp_rank_00_optim_states.pt"
                                           << "norm.running_mean"
                                           << "layer.weight";
    }
    void damagedDirectories()
    {
        QFETCH(QString, name);
        QFETCH(QString, file);
        QFETCH(QString, intact);
        QFETCH(QString, broken);
        auto loaded = loadCheckpoint(dir(name));
        QVERIFY2(loaded.ok(), loaded.ok() ? "" : loaded.error().detail.c_str());
        const auto& layout = *loaded.value()->distributed;
        QVERIFY(!layout.problems.empty());
        bool named = false;
        for (const auto& p : layout.problems)
            named = named || p.file == file.toStdString();
        QVERIFY2(named, (layout.problems[0].file + ": " + layout.problems[0].what).c_str());
        int incomplete = 0;
        for (const auto& t : layout.tensors) {
            if (t.key == intact.toStdString()) QVERIFY2(t.coverage.complete, t.coverage.problem.c_str());
            if (t.key == broken.toStdString()) QVERIFY(!t.coverage.complete);
            incomplete += t.coverage.complete ? 0 : 1;
        }
        QVERIFY(incomplete > 0);
    }

    void refusedDirectories_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QString>("cause");
        QTest::newRow("no metadata") << "dcp_no_metadata"
                                     << ".metadata is missing";
        QTest::newRow("bf16 optimizer") << "ds_bf16_optimizer"
                                        << "BF16_Optimizer";
        QTest::newRow("stage 0") << "ds_stage0"
                                 << "stage 0";
    }
    void refusedDirectories()
    {
        QFETCH(QString, name);
        QFETCH(QString, cause);
        auto loaded = loadCheckpoint(dir(name));
        QVERIFY(!loaded.ok());
        QVERIFY2(loaded.error().detail.find(cause.toStdString()) != std::string::npos, loaded.error().detail.c_str());
    }
};

QTEST_GUILESS_MAIN(TestDistributedReader)
#include "tst_distributedreader.moc"
