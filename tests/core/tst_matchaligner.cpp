// Wrapper-prefix inference and per-key verdicts on hand-made key lists (the fixture tests use real files).
#include <QFloat16> // QCOMPARE of nlohmann::json values tries qCompare(qfloat16, ...): it needs the whole type
#include <QTest>

#include <nlohmann/json.hpp>

#include "core/analysis/keyaligner.h"
#include "core/analysis/matchreport.h"

using namespace ckpt;

namespace
{

std::vector<std::string> resnetLikeKeys()
{
    std::vector<std::string> keys = {"conv1.weight",     "bn1.weight",      "bn1.bias",
                                     "bn1.running_mean", "bn1.running_var", "bn1.num_batches_tracked"};
    for (int layer = 1; layer <= 4; ++layer)
        for (int block = 0; block < 2; ++block)
            for (const char* leaf : {"conv1.weight", "bn1.weight", "bn1.bias", "conv2.weight", "bn2.weight"})
                keys.push_back("layer" + std::to_string(layer) + "." + std::to_string(block) + "." + leaf);
    keys.push_back("fc.weight");
    keys.push_back("fc.bias");
    return keys;
}

std::vector<std::string> withPrefix(const std::vector<std::string>& keys, const std::string& prefix)
{
    std::vector<std::string> out;
    for (const std::string& k : keys)
        out.push_back(prefix + k);
    return out;
}

ArchitectureSpec specOf(const std::vector<std::string>& keys)
{
    ArchitectureSpec spec;
    spec.name = "test";
    spec.source = "json";
    for (const std::string& k : keys)
        spec.entries.push_back(ArchEntry{k, {2, 3}, DType::Float32});
    return spec;
}

std::vector<KeyInfo> infoOf(const std::vector<std::string>& keys)
{
    std::vector<KeyInfo> out;
    for (const std::string& k : keys)
        out.push_back(KeyInfo{k, {2, 3}, DType::Float32, -1});
    return out;
}

using Strings = std::vector<std::string>;

} // namespace

class TestMatchAligner : public QObject
{
    Q_OBJECT

private slots:
    void inference_data()
    {
        QTest::addColumn<QString>("fromPrefix");
        QTest::addColumn<QString>("toPrefix");
        QTest::addColumn<QString>("strip");
        QTest::addColumn<QString>("add");
        QTest::newRow("identity") << ""
                                  << ""
                                  << ""
                                  << "";
        QTest::newRow("dataparallel") << "module."
                                      << ""
                                      << "module."
                                      << "";
        QTest::newRow("compile") << "_orig_mod."
                                 << ""
                                 << "_orig_mod."
                                 << "";
        QTest::newRow("fsdp") << "_fsdp_wrapped_module."
                              << ""
                              << "_fsdp_wrapped_module."
                              << "";
        QTest::newRow("lightning") << "model."
                                   << ""
                                   << "model."
                                   << "";
        QTest::newRow("peft") << "base_model.model."
                              << ""
                              << "base_model.model."
                              << "";
        QTest::newRow("stacked") << "_orig_mod.module."
                                 << ""
                                 << "_orig_mod.module."
                                 << "";
        QTest::newRow("doubled") << "module.module."
                                 << ""
                                 << "module.module."
                                 << "";
        QTest::newRow("unknown prefix") << "net.trunk."
                                        << ""
                                        << "net.trunk."
                                        << "";
        QTest::newRow("wrapped architecture") << ""
                                              << "module."
                                              << ""
                                              << "module.";
        QTest::newRow("unknown on both") << "student."
                                         << "teacher.net."
                                         << "student."
                                         << "teacher.net.";
        QTest::newRow("compile vs dataparallel") << "_orig_mod."
                                                 << "module."
                                                 << "_orig_mod."
                                                 << "module.";
    }

    void inference()
    {
        QFETCH(QString, fromPrefix);
        QFETCH(QString, toPrefix);
        QFETCH(QString, strip);
        QFETCH(QString, add);
        Strings base = resnetLikeKeys();
        KeyAlignment a =
            alignKeys(withPrefix(base, fromPrefix.toStdString()), withPrefix(base, toPrefix.toStdString()));
        QCOMPARE(a.aligned, base.size());
        Strings wantStrip = strip.isEmpty() ? Strings{} : Strings{strip.toStdString()};
        Strings wantAdd = add.isEmpty() ? Strings{} : Strings{add.toStdString()};
        QCOMPARE(a.rule.stripPrefixes, wantStrip);
        QCOMPARE(a.rule.addPrefixes, wantAdd);
        QVERIFY(a.rule.dropComponents.empty());
    }

    void infixComponent()
    {
        Strings arch = {"features.0.weight", "features.0.bias",     "features.2.weight",
                        "features.2.bias",   "classifier.0.weight", "classifier.0.bias"};
        Strings ckpt = {"features.module.0.weight", "features.module.0.bias", "features.module.2.weight",
                        "features.module.2.bias",   "classifier.0.weight",    "classifier.0.bias"};
        KeyAlignment a = alignKeys(ckpt, arch);
        QCOMPARE(a.aligned, arch.size());
        QCOMPARE(a.rule.dropComponents, Strings{"module"});
        QVERIFY(a.rule.stripPrefixes.empty());
        // A wrapper around the whole model on top of the infix one: dropping every `module` component
        // (the leading one included) is the simplest rule that aligns everything.
        KeyAlignment b = alignKeys(withPrefix(ckpt, "module."), arch);
        QCOMPARE(b.aligned, arch.size());
        QCOMPARE(b.rule.dropComponents, Strings{"module"});
        for (const std::string& k : ckpt)
            QCOMPARE(b.rule.apply("module." + k), a.rule.apply(k));
    }

    void lastComponentNamedModuleIsKept()
    {
        // A parameter literally called "module" is not a wrapper.
        Strings keys = {"block.module", "block.weight"};
        KeyAlignment a = alignKeys(keys, keys);
        QVERIFY(a.rule.empty());
        QCOMPARE(a.aligned, keys.size());
    }

    void emptyRuleWhenNothingAligns()
    {
        KeyAlignment a = alignKeys({"a.weight", "b.weight"}, {"x.y", "z.w"});
        QVERIFY(a.rule.empty());
        QCOMPARE(a.aligned, size_t(0));
        KeyAlignment b = alignKeys({}, {"x.y"});
        QVERIFY(b.rule.empty());
    }

    void partialOverlapStillFindsPrefix()
    {
        // The checkpoint carries a backbone under `module.` plus a head the architecture lacks.
        Strings base = resnetLikeKeys();
        Strings ckpt = withPrefix(base, "module.");
        ckpt.push_back("module.extra_head.weight");
        ckpt.push_back("module.extra_head.bias");
        KeyAlignment a = alignKeys(ckpt, base);
        QCOMPARE(a.rule.stripPrefixes, Strings{"module."});
        QCOMPARE(a.aligned, base.size());
    }

    void manyKeysAlign()
    {
        // The shape of the 40,000-key bench file: suffix voting must stay linear and still find the rule.
        Strings arch, ckpt;
        for (int i = 0; i < 20000; ++i) {
            arch.push_back("block." + std::to_string(i) + ".weight");
            arch.push_back("block." + std::to_string(i) + ".bias");
        }
        ckpt = withPrefix(arch, "module.");
        KeyAlignment a = alignKeys(ckpt, arch);
        QCOMPARE(a.aligned, arch.size());
        QCOMPARE(a.rule.stripPrefixes, Strings{"module."});
    }

    void verdicts()
    {
        Strings base = resnetLikeKeys();
        std::vector<KeyInfo> keys = infoOf(withPrefix(base, "module."));
        ArchitectureSpec arch = specOf(base);
        keys[0].shape = {9, 9};                 // conv1.weight
        keys[5].dtype = DType::Int64;           // bn1.num_batches_tracked
        arch.entries[5].dtype = DType::Unknown; // a JSON shape-only key: dtype not compared
        keys[4].dtype = DType::Float16;         // bn1.running_var: a real dtype mismatch
        keys.push_back(KeyInfo{"module.extra.weight", {1}, DType::Float32, -1});
        arch.entries.push_back(ArchEntry{"only_in_arch.weight", {4}, DType::Float32});

        MatchReport r = matchKeys(keys, arch);
        QCOMPARE(r.rule.stripPrefixes, Strings{"module."});
        QCOMPARE(r.summary.shapeMismatch, size_t(1));
        QCOMPARE(r.summary.dtypeMismatch, size_t(1));
        QCOMPARE(r.summary.unexpected, size_t(1));
        QCOMPARE(r.summary.missing, size_t(1));
        QCOMPARE(r.summary.renamed, base.size() - 2);
        QCOMPARE(r.summary.ok, size_t(0));
        QVERIFY(!r.clean());

        QCOMPARE(r.entries[0].status, MatchStatus::ShapeMismatch);
        QCOMPARE(r.entries[0].archKey, std::string("conv1.weight"));
        QCOMPARE(r.entries[0].shape, (std::vector<int64_t>{9, 9}));
        QCOMPARE(r.entries[0].archShape, (std::vector<int64_t>{2, 3}));
        QCOMPARE(r.entries[4].status, MatchStatus::DTypeMismatch);
        QCOMPARE(r.entries[5].status, MatchStatus::Renamed);
        QCOMPARE(r.entries[base.size()].status, MatchStatus::Unexpected);
        QCOMPARE(r.entries.back().status, MatchStatus::Missing);
        QCOMPARE(r.entries.back().archKey, std::string("only_in_arch.weight"));

        nlohmann::json j = r.toJson();
        QCOMPARE(j["rule"]["strip"][0].get<std::string>(), std::string("module."));
        QCOMPARE(j["entries"].size(), keys.size() + 1);
        QCOMPARE(j["entries"][0]["status"].get<std::string>(), std::string("shape_mismatch"));
        QCOMPARE(j["entries"][0]["key"].get<std::string>(), std::string("module.conv1.weight"));
        QCOMPARE(j["entries"][0]["arch_key"].get<std::string>(), std::string("conv1.weight"));
        QCOMPARE(j["entries"][0]["shape"], nlohmann::json({9, 9}));
        QCOMPARE(j["entries"][0]["arch_shape"], nlohmann::json({2, 3}));
        QVERIFY(j["entries"].back()["key"].is_null());
        QVERIFY(j["entries"].back()["shape"].is_null());
        QCOMPARE(j["summary"]["missing"].get<int>(), 1);
        QCOMPARE(j["summary"]["clean"].get<bool>(), false);
    }

    void summaryInWords()
    {
        Strings base = resnetLikeKeys();
        MatchReport r = matchKeys(infoOf(withPrefix(base, "module.")), specOf(base));
        QVERIFY(r.clean());
        std::string n = std::to_string(base.size());
        QCOMPARE(r.summaryText(), n + " keys: " + n +
                                      " fixable by removing `module.` (DataParallel/DDP wrapper), 0 shape "
                                      "mismatches, 0 unexpected, 0 missing");
        MatchReport same = matchKeys(infoOf(base), specOf(base));
        QCOMPARE(same.summary.ok, base.size());
        QVERIFY(same.rule.empty());
    }

    void givenRuleIsApplied()
    {
        Strings base = resnetLikeKeys();
        RenameRule rule;
        rule.addPrefixes = {"module."};
        MatchReport r = matchKeys(infoOf(base), specOf(withPrefix(base, "module.")), rule);
        QCOMPARE(r.summary.renamed, base.size());
        QVERIFY(r.clean());
    }

    void duplicateAfterRenameIsUnexpected()
    {
        // Both `module.fc.weight` and `fc.weight` in one file: only one can fill the architecture's key.
        MatchReport r =
            matchKeys(infoOf({"module.fc.weight", "module.fc.bias", "fc.weight"}), specOf({"fc.weight", "fc.bias"}));
        QCOMPARE(r.summary.unexpected + r.summary.ok + r.summary.renamed, size_t(3));
        QCOMPARE(r.summary.unexpected, size_t(1));
        QCOMPARE(r.summary.missing, size_t(0));
    }

    void tableFormatting()
    {
        QCOMPARE(shapeText({64, 3, 7, 7}), std::string("[64, 3, 7, 7]"));
        QCOMPARE(shapeText({}), std::string("[]"));
        QCOMPARE(formatTable({{"A", "BB"}, {"ccc", "d"}}), std::string("A    BB\nccc  d\n"));
    }
};

QTEST_APPLESS_MAIN(TestMatchAligner)
#include "tst_matchaligner.moc"
