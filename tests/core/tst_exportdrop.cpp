// Export of hostile files with ExportOptions::dropDangerous (issue 8): without the option every file of the hostile
// corpus is refused and the refusal names the option; with it the output is written, the engine's scan of it finds
// no dangerous global, every tensor it keeps has the input's dtype, shape and bytes, the report names each payload
// by path and global, and real PyTorch (torch.load, which in 1.13 unpickles anything) loads every output while a
// sentinel directory and victim folders prove that nothing ran.
#include <QTest>

#include <QDir>
#include <QFileInfo>
#include <QTemporaryDir>

#include <map>
#include <string>

#include "core/edit/exporter.h"
#include "core/edit/exportverifier.h"
#include "core/format/loader.h"
#include "support/exportsupport.h"
#include "support/hostilesupport.h"

using namespace ckpt;
using nlohmann::json;

Q_DECLARE_METATYPE(std::string)

namespace
{

QString corpusPath(const json& entry)
{
    return QString::fromStdString(test::hostileDir() + "/corpus/" + entry["file"].get<std::string>());
}

// Whether a tensor at `path` sat inside a value the export left out ("" is the root).
bool underDropped(const std::string& path, const std::vector<DroppedValue>& dropped)
{
    for (const DroppedValue& value : dropped) {
        if (value.action != "removed" && value.action != "replaced by None") continue;
        if (value.path.empty() || path == value.path || path.rfind(value.path + "/", 0) == 0) return true;
    }
    return false;
}

const DroppedValue* findDropped(const ExportReport& report, const std::string& path)
{
    for (const DroppedValue& value : report.dropped)
        if (value.path == path) return &value;
    return nullptr;
}

} // namespace

class TestExportDrop : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();
    void refusedWithoutTheOption_data();
    void refusedWithoutTheOption();
    void writtenWithoutThePayloads_data();
    void writtenWithoutThePayloads();
    void tensorArgumentPayloadsAreReplaced();
    void metadataPayloadGoesWithStateDictOnly();
    void payloadStorageTakesItsTensor();
    void payloadsInTuplesListsAndDicts();
    void torchLoadsEveryOutputAndNothingRan();

private:
    void addRows();
    Result<ExportReport> exportCorpus(const json& entry, const QString& output, bool drop, bool stateDictOnly = false);
    void torchCheck(const QString& code, const QStringList& args);

    test::PayloadSandbox m_sandbox;
    json m_manifest;
    QStringList m_written; // every output, for the one torch.load pass at the end
};

void TestExportDrop::initTestCase()
{
    m_manifest = test::hostileManifest("corpus");
    QVERIFY2(m_manifest.contains("hostile"), "tests/hostile/corpus/manifest.json is missing");
    QString why;
    QVERIFY2(m_sandbox.create(m_manifest, &why), qPrintable(why));
    QVERIFY(m_sandbox.enter()); // the python children inherit the directory and $CKPT_SENTINEL_DIR
}

void TestExportDrop::cleanupTestCase()
{
    m_sandbox.leave();
}

void TestExportDrop::addRows()
{
    QTest::addColumn<std::string>("entry");
    for (const json& entry : m_manifest["hostile"])
        QTest::newRow(entry["file"].get<std::string>().c_str()) << entry.dump();
}

Result<ExportReport> TestExportDrop::exportCorpus(const json& entry, const QString& output, bool drop,
                                                  bool stateDictOnly)
{
    auto loaded = loadCheckpoint(corpusPath(entry).toStdString());
    if (!loaded) return loaded.error();
    ExportOptions options;
    options.dropDangerous = drop;
    options.stateDictOnly = stateDictOnly;
    return Exporter(loaded.value(), options).run(output.toStdString());
}

void TestExportDrop::torchCheck(const QString& code, const QStringList& args)
{
    exporttest::Run run = exporttest::python("import sys, collections, torch\n" + code, args);
    QVERIFY2(run.exitCode == 0, (run.out + run.err).constData());
}

void TestExportDrop::refusedWithoutTheOption_data()
{
    addRows();
}

void TestExportDrop::refusedWithoutTheOption()
{
    QFETCH(std::string, entry);
    const json e = json::parse(entry);
    QString output = m_sandbox.path("out/refused_" + QString::fromStdString(e["file"].get<std::string>()) + ".pth");
    auto report = exportCorpus(e, output, false);
    QVERIFY(!report.ok());
    if (report.error().status != Status::Refused && e["may_refuse"].get<bool>()) return; // refused to open
    QCOMPARE(report.error().status, Status::Refused);
    QVERIFY2(report.error().detail.find("--drop-dangerous") != std::string::npos, report.error().detail.c_str());
    QVERIFY(!QFileInfo::exists(output));
}

void TestExportDrop::writtenWithoutThePayloads_data()
{
    QTest::addColumn<std::string>("entry");
    QTest::addColumn<bool>("stateDictOnly");
    for (const json& entry : m_manifest["hostile"]) {
        const std::string file = entry["file"].get<std::string>();
        QTest::newRow(file.c_str()) << entry.dump() << false;
        if (entry["has_weights"].get<bool>())
            QTest::newRow((file + " state-dict-only").c_str()) << entry.dump() << true;
    }
}

void TestExportDrop::writtenWithoutThePayloads()
{
    QFETCH(std::string, entry);
    QFETCH(bool, stateDictOnly);
    const json e = json::parse(entry);
    auto input = loadCheckpoint(corpusPath(e).toStdString());
    if (!input) {
        QVERIFY2(e["may_refuse"].get<bool>(), input.error().detail.c_str());
        return;
    }
    QString output = m_sandbox.path("out/" + QString::fromStdString(e["file"].get<std::string>()) +
                                    (stateDictOnly ? ".sd.pth" : ".pth"));
    auto report = exportCorpus(e, output, true, stateDictOnly);
    if (stateDictOnly && !input.value()->mainWeightSet()) {
        // A payload entry beside the tensors (legacy_payload_in_main) keeps the dict from reading as a state dict,
        // so there is none to extract; the whole file still exports (the row without --state-dict-only).
        QVERIFY(!report.ok());
        QCOMPARE(report.error().status, Status::Unsupported);
        return;
    }
    QVERIFY2(report.ok(), report.ok() ? "" : report.error().detail.c_str());
    QVERIFY(QFileInfo::exists(output));
    m_written << output;

    // Every dangerous global of the input is accounted for: dropped at a path, or never written.
    for (const json& name : e["dangerous"]) {
        bool named = false;
        for (const DroppedValue& value : report.value().dropped)
            named = named || value.global == name.get<std::string>();
        QVERIFY2(named, ("the report does not name " + name.get<std::string>()).c_str());
    }
    // A payload set by a first BUILD and run by the second is dropped as a value, not merely left unwritten.
    if (!input.value()->replacedStates.empty()) {
        bool droppedValue = false;
        for (const DroppedValue& value : report.value().dropped)
            droppedValue = droppedValue || value.action != "not written";
        QVERIFY2(droppedValue, "an object BUILT twice through a payload was not dropped");
    }

    auto written = loadCheckpoint(output.toStdString());
    QVERIFY2(written.ok(), written.ok() ? "" : written.error().detail.c_str());
    const Checkpoint& out = *written.value();
    for (const GlobalRef& ref : out.globals)
        QVERIFY2(ref.severity != Severity::Dangerous, (ref.module + "." + ref.name).c_str());

    // Tensors kept are byte-identical; every input tensor outside a dropped value is kept.
    std::map<std::string, TensorSignature> kept;
    for (size_t i = 0; i < out.tensors.size(); ++i)
        kept[pathToString(out.tensors[i].path)] = tensorSignature(out, static_cast<int>(i));
    const Checkpoint& in = *input.value();
    const WeightSet* set = in.mainWeightSet();
    for (size_t i = 0; i < in.tensors.size(); ++i) {
        const TensorInfo& tensor = in.tensors[i];
        if (tensor.component) continue;
        std::string path = pathToString(tensor.path);
        if (stateDictOnly && set) { // the state dict becomes the root: paths lose its prefix
            std::string prefix = pathToString(set->at);
            if (!prefix.empty()) {
                if (path.rfind(prefix + "/", 0) != 0) continue;
                path = path.substr(prefix.size() + 1);
            }
        }
        auto found = kept.find(path);
        if (underDropped(path, report.value().dropped)) {
            QVERIFY2(found == kept.end(), ("a dropped tensor was written: " + path).c_str());
            continue;
        }
        QVERIFY2(found != kept.end(), ("a clean tensor went missing: " + path).c_str());
        QVERIFY2(found->second == tensorSignature(in, static_cast<int>(i)), ("other bytes: " + path).c_str());
    }
}

void TestExportDrop::tensorArgumentPayloadsAreReplaced()
{
    // Parameter(w, True, hooks=eval(...)): the hooks argument becomes OrderedDict(), the Parameter stays.
    json hooks = {{"file", "zip_payload_in_parameter_hooks.pth"}};
    QString hooksOut = m_sandbox.path("out/hooks_check.pth");
    auto report = exportCorpus(hooks, hooksOut, true);
    QVERIFY2(report.ok(), report.ok() ? "" : report.error().detail.c_str());
    const DroppedValue* dropped = findDropped(report.value(), "w/backward_hooks");
    QVERIFY(dropped);
    QCOMPARE(dropped->global, std::string("builtins.eval"));
    QCOMPARE(dropped->action, std::string("replaced by an empty OrderedDict"));
    QCOMPARE(report.value().keys, size_t(1));

    // _rebuild_tensor_v2(..., requires_grad=os.system(...)): the argument becomes False, both tensors stay.
    json grad = {{"file", "zip_payload_in_rebuild_args.pth"}};
    QString gradOut = m_sandbox.path("out/grad_check.pth");
    report = exportCorpus(grad, gradOut, true);
    QVERIFY2(report.ok(), report.ok() ? "" : report.error().detail.c_str());
    dropped = findDropped(report.value(), "a.bias/requires_grad");
    QVERIFY(dropped);
    QCOMPARE(dropped->global, std::string("os.system"));
    QCOMPARE(dropped->action, std::string("replaced by False"));
    QCOMPARE(report.value().keys, size_t(2));

    torchCheck("h = torch.load(sys.argv[1]); w = h['w']\n"
               "assert isinstance(w, torch.nn.Parameter) and w.requires_grad\n"
               "assert w._backward_hooks == collections.OrderedDict(), w._backward_hooks\n"
               "assert torch.equal(w.detach(), torch.arange(4.))\n"
               "g = torch.load(sys.argv[2]); assert list(g) == ['a.weight', 'a.bias']\n"
               "assert not g['a.bias'].requires_grad and torch.equal(g['a.bias'], torch.arange(2.))\n",
               {hooksOut, gradOut});
}

void TestExportDrop::metadataPayloadGoesWithStateDictOnly()
{
    // state_dict._metadata = {'': {'version': posix.system(...)}}: the entry goes, the rest of _metadata stays.
    json metadata = {{"file", "zip_payload_in_metadata.pth"}};
    for (bool stateDictOnly : {false, true}) {
        QString output = m_sandbox.path(stateDictOnly ? "out/meta_sd.pth" : "out/meta.pth");
        auto report = exportCorpus(metadata, output, true, stateDictOnly);
        QVERIFY2(report.ok(), report.ok() ? "" : report.error().detail.c_str());
        QCOMPARE(report.value().dropped.size(), size_t(1));
        QCOMPARE(report.value().dropped[0].path, std::string("_metadata//version"));
        QCOMPARE(report.value().dropped[0].global, std::string("posix.system"));
        QCOMPARE(report.value().dropped[0].action, std::string("removed"));
        torchCheck("sd = torch.load(sys.argv[1]); assert list(sd) == ['w']\n"
                   "assert sd._metadata == {'': {}}, sd._metadata\n"
                   "torch.nn.Linear(2, 2).load_state_dict(sd, strict=False)\n",
                   {output});
    }
}

void TestExportDrop::payloadStorageTakesItsTensor()
{
    // _rebuild_tensor_v2(subprocess.check_output(...), ...): no storage, so no tensor; the entry goes.
    json storage = {{"file", "zip_payload_as_storage.pth"}};
    QString output = m_sandbox.path("out/storage_check.pth");
    auto report = exportCorpus(storage, output, true);
    QVERIFY2(report.ok(), report.ok() ? "" : report.error().detail.c_str());
    const DroppedValue* dropped = findDropped(report.value(), "w");
    QVERIFY(dropped);
    QCOMPARE(dropped->global, std::string("subprocess.check_output"));
    QCOMPARE(dropped->action, std::string("removed"));
    QCOMPARE(report.value().tensors, size_t(0));
    torchCheck("assert torch.load(sys.argv[1]) == {}\n", {output});
}

void TestExportDrop::payloadsInTuplesListsAndDicts()
{
    // A checkpoint saved by real torch.save around objects whose __reduce__ is os.system: the positions in a
    // tuple and a list become None, the dict entry goes, and the weights and everything else stay.
    QString input = m_sandbox.path("out/evil_input.pth");
    exporttest::Run made = exporttest::python(
        "import os, sys, collections, torch\n"
        "class Evil:\n"
        "    def __reduce__(self): return (os.system, ('touch \"$CKPT_SENTINEL_DIR/evil\"',))\n"
        "sd = collections.OrderedDict(w=torch.arange(6.).reshape(2, 3), b=torch.ones(3))\n"
        "torch.save({'model': sd, 'cfg': (1, Evil(), 'x'), 'history': [Evil(), 2.5], 'hook': Evil(), 'epoch': 3},"
        " sys.argv[1])\n",
        {input});
    QVERIFY2(made.exitCode == 0, made.err.constData());
    auto loaded = loadCheckpoint(input.toStdString());
    QVERIFY(loaded.ok());
    QVERIFY(loaded.value()->verdict() == Severity::Dangerous);
    ExportOptions options;
    options.dropDangerous = true;
    QString output = m_sandbox.path("out/evil_clean.pth");
    auto report = Exporter(loaded.value(), options).run(output.toStdString());
    QVERIFY2(report.ok(), report.ok() ? "" : report.error().detail.c_str());
    std::map<std::string, std::string> actions;
    for (const DroppedValue& value : report.value().dropped) {
        QCOMPARE(value.global, std::string("posix.system"));
        actions[value.path] = value.action;
    }
    std::map<std::string, std::string> expected = {
        {"cfg/1", "replaced by None"}, {"history/0", "replaced by None"}, {"hook", "removed"}};
    QCOMPARE(actions, expected);
    QCOMPARE(report.value().keys, size_t(2));
    torchCheck("c = torch.load(sys.argv[1])\n"
               "assert list(c) == ['model', 'cfg', 'history', 'epoch'], list(c)\n"
               "assert c['cfg'] == (1, None, 'x') and c['history'] == [None, 2.5] and c['epoch'] == 3\n"
               "assert torch.equal(c['model']['w'], torch.arange(6.).reshape(2, 3))\n",
               {output});
    m_written << output;
}

void TestExportDrop::torchLoadsEveryOutputAndNothingRan()
{
    QVERIFY(m_written.size() > 40);
    exporttest::Run run = exporttest::python("import os, sys, torch\n"
                                             "for path in sys.argv[1:]:\n"
                                             "    try:\n"
                                             "        torch.load(path)\n"
                                             "    except Exception as e:\n"
                                             "        print(os.path.basename(path), type(e).__name__, e)\n",
                                             m_written);
    QVERIFY2(run.exitCode == 0, run.err.constData());
    // Every output loads, build_setstate_* included (BUILD {'__setstate__': os.system}, then BUILD cmd): the object
    // whose earlier state set the payload is dropped whole instead of being written with the later state alone.
    QStringList failures = QString::fromUtf8(run.out).split('\n', Qt::SkipEmptyParts);
    QCOMPARE(failures, QStringList());
    const QString traces = m_sandbox.traces();
    QVERIFY2(traces.isEmpty(), qPrintable(traces));
}

QTEST_GUILESS_MAIN(TestExportDrop)
#include "tst_exportdrop.moc"
