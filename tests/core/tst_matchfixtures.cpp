// Architecture match over fixtures saved by real PyTorch: wrapper prefixes, missing keys, shape mismatches,
// and every architecture source (built-in catalog, checkpoint, JSON key list, TorchScript archive).
#include <QFloat16> // QCOMPARE of nlohmann::json values tries qCompare(qfloat16, ...): it needs the whole type
#include <QTest>

#include <fstream>
#include <set>

#include "core/analysis/archresolver.h"
#include "core/analysis/matchreport.h"
#include "core/format/loader.h"
#include "support/matchdiffsupport.h"

using namespace ckpt;
using Strings = std::vector<std::string>;

namespace
{

CheckpointPtr load(const QString& name)
{
    QString path = matchdiff::fixture(name);
    if (path.isEmpty()) return nullptr;
    auto loaded = loadCheckpoint(path.toStdString());
    return loaded ? loaded.value() : nullptr;
}

ArchitectureSpec resolve(const std::string& arch)
{
    auto spec = resolveArchitecture(arch);
    return spec ? spec.value() : ArchitectureSpec{};
}

// The truth's key list with every ".module." component removed, as a JSON key list file.
QString writeUnwrappedKeyList(const QString& fixtureName, const QString& dir)
{
    nlohmann::ordered_json keys = nlohmann::ordered_json::object();
    const nlohmann::json truth = matchdiff::truth(fixtureName); // keep it alive through the loop
    for (const auto& t : truth["tensors"]) {
        std::string key = t["path"][0].get<std::string>();
        for (size_t pos; (pos = key.find(".module.")) != std::string::npos;)
            key.erase(pos, 7);
        keys[key] = {{"shape", nlohmann::ordered_json::parse(t["shape"].dump())},
                     {"dtype", t["dtype"].get<std::string>()}};
    }
    QString path = dir + "/unwrapped.json";
    std::ofstream(path.toStdString()) << nlohmann::ordered_json{{"keys", keys}}.dump();
    return path;
}

} // namespace

class TestMatchFixtures : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase()
    {
        QVERIFY2(!matchdiff::fixture("resnet18_dp").isEmpty(), "fixtures missing: run ctest -R generate_fixtures");
    }

    void dataParallelAgainstBuiltin()
    {
        CheckpointPtr dp = load("resnet18_dp");
        QVERIFY(dp);
        auto spec = resolveArchitecture("builtin:resnet18");
        QVERIFY2(spec.ok(), spec.ok() ? "" : spec.error().detail.c_str());
        QCOMPARE(spec.value().source, std::string("builtin"));
        auto report = matchCheckpoint(*dp, spec.value());
        QVERIFY(report.ok());
        const MatchReport& r = report.value();
        QCOMPARE(r.rule.stripPrefixes, Strings{"module."});
        QVERIFY(r.rule.addPrefixes.empty() && r.rule.dropComponents.empty());
        QCOMPARE(r.entries.size(), size_t(122));
        QCOMPARE(r.summary.renamed, size_t(122));
        QVERIFY(r.clean());
        Strings truthKeys = matchdiff::truthKeys("resnet18_dp");
        QCOMPARE(truthKeys.size(), size_t(122));
        for (size_t i = 0; i < r.entries.size(); ++i) {
            QCOMPARE(r.entries[i].status, MatchStatus::Renamed);
            QCOMPARE(r.entries[i].key, truthKeys[i]);
            QCOMPARE(r.entries[i].archKey, truthKeys[i].substr(7));
            QCOMPARE(r.entries[i].shape, r.entries[i].archShape);
        }
        QVERIFY(r.summaryText().rfind("122 keys: 122 fixable by removing `module.` (DataParallel/DDP wrapper), "
                                      "0 shape mismatches",
                                      0) == 0);
    }

    void wrappersAlign_data()
    {
        QTest::addColumn<QString>("fixture");
        QTest::addColumn<QString>("arch"); // "builtin:..." or "fixture:NAME" or "unwrapped"
        QTest::addColumn<QString>("strip");
        QTest::addColumn<QString>("add");
        QTest::addColumn<QString>("drop");
        QTest::newRow("stacked _orig_mod.module.") << "resnet18_orig_mod_module"
                                                   << "builtin:resnet18"
                                                   << "_orig_mod.module."
                                                   << ""
                                                   << "";
        QTest::newRow("lightning model.") << "lightning"
                                          << "fixture:train_adam"
                                          << "model."
                                          << ""
                                          << "";
        QTest::newRow("infix module") << "infix_features_module"
                                      << "unwrapped"
                                      << ""
                                      << ""
                                      << "module";
        QTest::newRow("plain against DataParallel") << "resnet18_sd"
                                                    << "fixture:resnet18_dp"
                                                    << ""
                                                    << "module."
                                                    << "";
        QTest::newRow("whole DataParallel model") << "resnet18_dp_whole"
                                                  << "builtin:resnet18"
                                                  << "module."
                                                  << ""
                                                  << "";
        QTest::newRow("legacy plain") << "resnet18_legacy_sd"
                                      << "builtin:resnet18"
                                      << ""
                                      << ""
                                      << "";
    }

    void wrappersAlign()
    {
        QFETCH(QString, fixture);
        QFETCH(QString, arch);
        QFETCH(QString, strip);
        QFETCH(QString, add);
        QFETCH(QString, drop);
        QTemporaryDir dir;
        std::string archText = arch.toStdString();
        if (arch.startsWith("fixture:")) archText = matchdiff::fixture(arch.mid(8)).toStdString();
        if (arch == "unwrapped") archText = writeUnwrappedKeyList(fixture, dir.path()).toStdString();
        auto spec = resolveArchitecture(archText);
        QVERIFY2(spec.ok(), spec.ok() ? "" : spec.error().detail.c_str());
        CheckpointPtr checkpoint = load(fixture);
        QVERIFY(checkpoint);
        auto report = matchCheckpoint(*checkpoint, spec.value());
        QVERIFY(report.ok());
        const MatchReport& r = report.value();
        QCOMPARE(r.rule.stripPrefixes, strip.isEmpty() ? Strings{} : Strings{strip.toStdString()});
        QCOMPARE(r.rule.addPrefixes, add.isEmpty() ? Strings{} : Strings{add.toStdString()});
        QCOMPARE(r.rule.dropComponents, drop.isEmpty() ? Strings{} : Strings{drop.toStdString()});
        QVERIFY2(r.clean(), r.summaryText().c_str());
        QCOMPARE(r.summary.ok + r.summary.renamed, spec.value().entries.size());
        QCOMPARE(r.summary.checkpointKeys, spec.value().entries.size());
        for (const MatchEntry& e : r.entries)
            QCOMPARE(e.status, r.rule.apply(e.key) == e.key ? MatchStatus::Ok : MatchStatus::Renamed);
    }

    void resnet34HasMissingKeys()
    {
        // Expected: the keys torchvision's resnet34 has and resnet18 lacks, from the two truth files.
        Strings keys18 = matchdiff::truthKeys("resnet18_sd");
        Strings keys34 = matchdiff::truthKeys("resnet34_sd");
        std::set<std::string> have(keys18.begin(), keys18.end());
        Strings expected;
        for (const std::string& k : keys34)
            if (!have.count(k)) expected.push_back(k);
        QVERIFY(!expected.empty());
        CheckpointPtr checkpoint = load("resnet18_sd");
        QVERIFY(checkpoint);
        for (std::string arch : {std::string("builtin:resnet34"), matchdiff::fixture("resnet34_sd").toStdString()}) {
            auto report = matchCheckpoint(*checkpoint, resolve(arch));
            QVERIFY(report.ok());
            const MatchReport& r = report.value();
            Strings missing;
            for (const MatchEntry& e : r.entries)
                if (e.status == MatchStatus::Missing) missing.push_back(e.archKey);
            QCOMPARE(missing, expected);
            QCOMPARE(r.summary.ok, keys18.size());
            QCOMPARE(r.summary.shapeMismatch + r.summary.unexpected, size_t(0));
            QVERIFY(r.rule.empty());
            QVERIFY(!r.clean());
        }
    }

    void tenClassHeadIsShapeMismatch()
    {
        CheckpointPtr checkpoint = load("resnet18_head10");
        QVERIFY(checkpoint);
        auto report = matchCheckpoint(*checkpoint, resolve("builtin:resnet18"));
        QVERIFY(report.ok());
        const MatchReport& r = report.value();
        QCOMPARE(r.summary.shapeMismatch, size_t(2));
        QCOMPARE(r.summary.ok, size_t(120));
        QCOMPARE(r.summary.missing + r.summary.unexpected + r.summary.renamed, size_t(0));
        for (const MatchEntry& e : r.entries) {
            if (e.key == "fc.weight") {
                QCOMPARE(e.status, MatchStatus::ShapeMismatch);
                QCOMPARE(e.shape, (std::vector<int64_t>{10, 512}));
                QCOMPARE(e.archShape, (std::vector<int64_t>{1000, 512}));
            } else if (e.key == "fc.bias") {
                QCOMPARE(e.status, MatchStatus::ShapeMismatch);
                QCOMPARE(e.shape, (std::vector<int64_t>{10}));
                QCOMPARE(e.archShape, (std::vector<int64_t>{1000}));
            } else {
                QCOMPARE(e.status, MatchStatus::Ok);
            }
        }
    }

    void torchScriptArchitectureGivesSameVerdicts()
    {
        // A TorchScript resnet18 made by real PyTorch; without an importer the core reads the archive itself.
        QTemporaryDir dir;
        QString path = dir.path() + "/resnet18_script.pt";
        auto py = matchdiff::runPython("import torch, torchvision; torch.manual_seed(0);"
                                       "torch.jit.script(torchvision.models.resnet18(weights=None).eval()).save('" +
                                       path + "')");
        QVERIFY2(py.exitCode == 0, py.err.constData());
        auto script = resolveArchitecture(path.toStdString());
        QVERIFY2(script.ok(), script.ok() ? "" : script.error().detail.c_str());
        QCOMPARE(script.value().source, std::string("torchscript"));
        ArchitectureSpec builtin = resolve("builtin:resnet18");
        for (const char* name : {"resnet18_dp", "resnet18_head10", "resnet18_orig_mod_module"}) {
            CheckpointPtr checkpoint = load(name);
            QVERIFY(checkpoint);
            MatchReport a = matchCheckpoint(*checkpoint, script.value()).value();
            MatchReport b = matchCheckpoint(*checkpoint, builtin).value();
            QCOMPARE(a.rule.toJson(), b.rule.toJson());
            QCOMPARE(a.entries.size(), b.entries.size());
            for (size_t i = 0; i < a.entries.size(); ++i) {
                QCOMPARE(a.entries[i].status, b.entries[i].status);
                QCOMPARE(a.entries[i].key, b.entries[i].key);
                QCOMPARE(a.entries[i].archKey, b.entries[i].archKey);
                QCOMPARE(a.entries[i].archShape, b.entries[i].archShape);
            }
        }
        // The fixture archive (a small scripted model) against the same model's plain state dict.
        auto small = resolveArchitecture(matchdiff::fixture("torchscript_small").toStdString());
        QVERIFY(small.ok());
        CheckpointPtr before = load("small_before");
        QVERIFY(before);
        MatchReport r = matchCheckpoint(*before, small.value()).value();
        QVERIFY2(r.clean(), r.summaryText().c_str());
        QCOMPARE(r.summary.ok, r.summary.archKeys);
    }

    void jsonShapeOnlyKeysIgnoreDtype()
    {
        // A key list dumped as {key: shape}: int64 buffers must not become dtype mismatches.
        QTemporaryDir dir;
        QString path = dir.path() + "/keys.json";
        nlohmann::ordered_json keys = nlohmann::ordered_json::object();
        const nlohmann::json truth = matchdiff::truth("resnet18_sd");
        for (const auto& t : truth["tensors"])
            keys[t["path"][0].get<std::string>()] = nlohmann::ordered_json::parse(t["shape"].dump());
        std::ofstream(path.toStdString()) << nlohmann::ordered_json{{"keys", keys}}.dump();
        auto spec = resolveArchitecture(path.toStdString());
        QVERIFY2(spec.ok(), spec.ok() ? "" : spec.error().detail.c_str());
        QCOMPARE(spec.value().source, std::string("json"));
        CheckpointPtr dp = load("resnet18_dp");
        MatchReport r = matchCheckpoint(*dp, spec.value()).value();
        QCOMPARE(r.summary.renamed, size_t(122));
        QVERIFY(r.clean());
    }

    void architectureErrors()
    {
        auto unknown = resolveArchitecture("builtin:resnet19");
        QVERIFY(!unknown.ok());
        auto missing = resolveArchitecture("/nonexistent/model.pth");
        QVERIFY(!missing.ok());
        QCOMPARE(missing.error().status, Status::IoError);
        auto broken = resolveArchitecture(matchdiff::fixture("small_before").toStdString() + ".truth-not-there");
        QVERIFY(!broken.ok());
    }
};

QTEST_GUILESS_MAIN(TestMatchFixtures)
#include "tst_matchfixtures.moc"
