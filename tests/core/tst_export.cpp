// The exporter end to end over real PyTorch fixtures, with real PyTorch as the oracle: renamed layouts load
// strict into torchvision models, devices remapped load without CUDA, training checkpoints keep every
// non-model object, whole models become weights_only state dicts, views/sharing/dtypes survive, legacy and
// protocol-4 inputs become zips, safetensors read back; and every failure leaves no file behind.
#include <QCryptographicHash>
#include <QDir>
#include <QTemporaryDir>
#include <QTest>

#include "core/edit/exporter.h"
#include "core/format/loader.h"
#include "support/exportsupport.h"

#include <unistd.h>

using namespace ckpt;

namespace
{

ExportOptions safetensorsOptions()
{
    ExportOptions options;
    options.format = ExportFormat::Safetensors;
    return options;
}

const char* kPrelude =
    "import sys, collections, argparse, torch, torchvision\n"
    "def same(a, b):\n"
    "    if isinstance(a, torch.Tensor):\n"
    "        if not isinstance(b, torch.Tensor) or a.dtype != b.dtype or a.shape != b.shape: return False\n"
    "        if a.is_meta: return b.is_meta and a.dtype == b.dtype and a.shape == b.shape\n"
    "        if a.is_quantized: return b.is_quantized and torch.equal(a.int_repr(), b.int_repr()) and a.qscheme() == "
    "b.qscheme()\n"
    "        if a.is_sparse: return b.is_sparse and torch.equal(a.to_dense(), b.to_dense())\n"
    "        return a.stride() == b.stride() and a.storage_offset() == b.storage_offset() and "
    "(torch.equal(a, b) or (a.is_floating_point() and torch.equal(a.isnan(), b.isnan())))\n"
    "    if type(a) is not type(b): return False\n"
    "    if isinstance(a, dict):\n"
    "        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)\n"
    "    if isinstance(a, (list, tuple)):\n"
    "        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))\n"
    "    if isinstance(a, argparse.Namespace): return vars(a) == vars(b)\n"
    "    return a == b\n";

} // namespace

class TestExport : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;

    QString out(const QString& name) const { return m_dir.filePath(name); }

    Result<ExportReport> exportFile(const QString& fixture, const QString& output, const ExportOptions& options,
                                    SinkDecorator decorator = {})
    {
        QString path = exporttest::fixturePath(fixture);
        if (path.isEmpty()) return makeError(Status::IoError, "fixture " + fixture.toStdString() + " missing");
        auto loaded = loadCheckpoint(path.toStdString());
        if (!loaded) return loaded.error();
        Exporter exporter(loaded.value(), options);
        if (decorator) exporter.setSinkDecorator(std::move(decorator));
        return exporter.run(output.toStdString());
    }

    void oracle(const QString& body, const QStringList& args)
    {
        exporttest::Run run = exporttest::python(QString(kPrelude) + body, args);
        QVERIFY2(run.exitCode == 0, (run.out + run.err).constData());
    }

    void noLeftovers(const QString& dir)
    {
        for (const QString& name : exporttest::directoryEntries(dir))
            QVERIFY2(!name.contains(".ckpt-"), qPrintable("temporary file left behind: " + name));
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        // The fixtures are a ctest FIXTURES_SETUP (generate_fixtures): missing ones are a broken run, not a skip.
        QVERIFY2(!exporttest::fixturePath("resnet18_dp.pth").isEmpty(),
                 "fixtures missing: run `ctest -R generate_fixtures` (tests/fixtures/generate.py)");
    }

    void dataParallelToSingle()
    {
        ExportOptions options;
        options.layout = TargetLayout::Single;
        auto report = exportFile("resnet18_dp.pth", out("single.pth"), options);
        QVERIFY2(report.ok(), report.ok() ? "" : report.error().detail.c_str());
        QCOMPARE(report.value().plan.changedCount(), size_t(122));
        QCOMPARE(report.value().keys, size_t(122));
        oracle("sd = torch.load(sys.argv[1]); orig = torch.load(sys.argv[2])\n"
               "m = torchvision.models.resnet18(); m.load_state_dict(sd, strict=True)\n"
               "assert list(sd) == [k[len('module.'):] for k in orig]\n"
               "assert all(torch.equal(sd[k[7:]], v) for k, v in orig.items())\n"
               "assert '' in sd._metadata and 'module' not in sd._metadata and sd._metadata['bn1'] == {'version': 2}\n",
               {out("single.pth"), exporttest::fixturePath("resnet18_dp.pth")});
    }

    void plainToDataParallel()
    {
        ExportOptions options;
        options.layout = TargetLayout::DataParallel;
        auto report = exportFile("resnet18_sd.pth", out("dp.pth"), options);
        QVERIFY2(report.ok(), report.ok() ? "" : report.error().detail.c_str());
        oracle("sd = torch.load(sys.argv[1], weights_only=True); orig = torch.load(sys.argv[2])\n"
               "m = torch.nn.DataParallel(torchvision.models.resnet18()); m.load_state_dict(sd, strict=True)\n"
               "assert all(torch.equal(sd['module.' + k], v) for k, v in orig.items())\n"
               "assert list(sd._metadata)[:3] == ['', 'module', 'module.conv1'], list(sd._metadata)[:3]\n",
               {out("dp.pth"), exporttest::fixturePath("resnet18_sd.pth")});
    }

    void stackedWrappersAndInfix()
    {
        ExportOptions options;
        options.rule.stripPrefixes = {"_orig_mod."};
        options.layout = TargetLayout::Single;
        auto report = exportFile("resnet18_orig_mod_module.pth", out("stacked.pth"), options);
        QVERIFY2(report.ok(), report.ok() ? "" : report.error().detail.c_str());
        oracle("sd = torch.load(sys.argv[1]); torchvision.models.resnet18().load_state_dict(sd, strict=True)\n",
               {out("stacked.pth")});

        ExportOptions infix;
        infix.rule.dropComponents = {"module"};
        auto dropped = exportFile("infix_features_module.pth", out("infix.pth"), infix);
        QVERIFY2(dropped.ok(), dropped.ok() ? "" : dropped.error().detail.c_str());
        oracle("sd = torch.load(sys.argv[1]); orig = torch.load(sys.argv[2])\n"
               "assert list(sd) == [k.replace('.module.', '.') for k in orig], list(sd)\n"
               "assert all(torch.equal(sd[k.replace('.module.', '.')], v) for k, v in orig.items())\n",
               {out("infix.pth"), exporttest::fixturePath("infix_features_module.pth")});
    }

    void cudaTaggedToCpu_data()
    {
        QTest::addColumn<QString>("fixture");
        QTest::newRow("zip") << "cuda_tagged.pth";
        QTest::newRow("legacy") << "cuda_tagged_legacy.pth";
    }

    void cudaTaggedToCpu()
    {
        QFETCH(QString, fixture);
        ExportOptions options;
        options.locations = LocationMap::parse("cuda:*=cpu").value();
        QString output = out("cpu_" + fixture);
        auto report = exportFile(fixture, output, options);
        QVERIFY2(report.ok(), report.ok() ? "" : report.error().detail.c_str());
        oracle("import zipfile\n"
               "assert not torch.cuda.is_available()\n"
               "try:\n    torch.load(sys.argv[2]); sys.exit('the original should not load here')\n"
               "except RuntimeError: pass\n"
               "sd = torch.load(sys.argv[1], weights_only=True); orig = torch.load(sys.argv[2], map_location='cpu')\n"
               "assert zipfile.is_zipfile(sys.argv[1]) and same(sd, orig)\n"
               "assert sd['on_cuda1_view'].storage().data_ptr() == sd['on_cuda1'].storage().data_ptr()\n",
               {output, exporttest::fixturePath(fixture)});
    }

    void oneCudaDeviceToAnother()
    {
        ExportOptions options;
        options.locations = LocationMap::parse("cuda:1=cuda:0,cuda:2=cpu").value();
        auto report = exportFile("cuda_tagged.pth", out("remap.pth"), options);
        QVERIFY2(report.ok(), report.ok() ? "" : report.error().detail.c_str());
        auto loaded = loadCheckpoint(out("remap.pth").toStdString());
        QVERIFY(loaded.ok());
        std::map<std::string, std::string> where;
        for (const TensorInfo& tensor : loaded.value()->tensors)
            where[tensor.path.back().key] = tensor.location;
        QCOMPARE(where["on_cuda0"], std::string("cuda:0"));
        QCOMPARE(where["on_cuda1"], std::string("cuda:0"));
        QCOMPARE(where["on_cuda2"], std::string("cpu"));
        QCOMPARE(where["on_cpu"], std::string("cpu"));
    }

    void trainingCheckpointKeepsEverythingElse()
    {
        ExportOptions options;
        options.layout = TargetLayout::DataParallel;
        options.select = "model";
        auto report = exportFile("train_adam.pth", out("adam_dp.pth"), options);
        QVERIFY2(report.ok(), report.ok() ? "" : report.error().detail.c_str());
        QCOMPARE(report.value().weightSet, std::string("model"));
        oracle("ck = torch.load(sys.argv[1]); orig = torch.load(sys.argv[2])\n"
               "assert list(ck) == list(orig)\n"
               "assert list(ck['model']) == ['module.' + k for k in orig['model']]\n"
               "assert all(torch.equal(ck['model']['module.' + k], v) for k, v in orig['model'].items())\n"
               "assert type(ck['args']) is argparse.Namespace and ck['args'] == orig['args']\n"
               "for k in ('optimizer', 'lr_scheduler', 'epoch', 'args'): assert same(ck[k], orig[k]), k\n"
               "params = [torch.nn.Parameter(v.clone().float()) for k, v in orig['model'].items() "
               "if not k.startswith('bn.running') and not k.endswith('num_batches_tracked')]\n"
               "opt = torch.optim.Adam(params, lr=1e-3); opt.load_state_dict(ck['optimizer'])\n"
               "assert same(opt.state_dict()['state'], orig['optimizer']['state'])\n",
               {out("adam_dp.pth"), exporttest::fixturePath("train_adam.pth")});
    }

    void lightningStateDict()
    {
        ExportOptions options;
        options.select = "state_dict";
        options.rule.stripPrefixes = {"model."};
        auto report = exportFile("lightning.ckpt", out("lightning_fixed.ckpt"), options);
        QVERIFY2(report.ok(), report.ok() ? "" : report.error().detail.c_str());
        oracle("ck = torch.load(sys.argv[1]); orig = torch.load(sys.argv[2])\n"
               "assert list(ck['state_dict']) == [k[len('model.'):] for k in orig['state_dict']]\n"
               "for k in orig:\n"
               "    if k != 'state_dict': assert same(ck[k], orig[k]), k\n",
               {out("lightning_fixed.ckpt"), exporttest::fixturePath("lightning.ckpt")});

        ExportOptions only = options;
        only.stateDictOnly = true;
        auto extracted = exportFile("lightning.ckpt", out("lightning_sd.pth"), only);
        QVERIFY2(extracted.ok(), extracted.ok() ? "" : extracted.error().detail.c_str());
        oracle("sd = torch.load(sys.argv[1], weights_only=True); orig = torch.load(sys.argv[2])['state_dict']\n"
               "assert all(torch.equal(sd[k[6:]], v) for k, v in orig.items()) and len(sd) == len(orig)\n",
               {out("lightning_sd.pth"), exporttest::fixturePath("lightning.ckpt")});
    }

    void wholeModelToStateDict_data()
    {
        QTest::addColumn<QString>("fixture");
        QTest::addColumn<int>("layout");
        QTest::newRow("resnet18") << "resnet18_whole.pth" << int(TargetLayout::Keep);
        QTest::newRow("dataparallel->single") << "resnet18_dp_whole.pth" << int(TargetLayout::Single);
        QTest::newRow("legacy") << "resnet18_legacy_whole.pth" << int(TargetLayout::Keep);
    }

    void wholeModelToStateDict()
    {
        QFETCH(QString, fixture);
        QFETCH(int, layout);
        ExportOptions options;
        options.stateDictOnly = true;
        options.layout = static_cast<TargetLayout>(layout);
        QString output = out("sd_" + fixture);
        auto report = exportFile(fixture, output, options);
        QVERIFY2(report.ok(), report.ok() ? "" : report.error().detail.c_str());
        oracle("sd = torch.load(sys.argv[1], weights_only=True)\n"
               "model = torch.load(sys.argv[2])\n"
               "if isinstance(model, torch.nn.DataParallel): model = model.module\n"
               "ref = model.state_dict()\n"
               "torchvision.models.resnet18().load_state_dict(sd, strict=True)\n"
               "assert list(sd) == list(ref) and all(torch.equal(sd[k], v) for k, v in ref.items())\n"
               "assert all(type(v) is torch.Tensor and not v.requires_grad for v in sd.values())\n"
               "assert dict(sd._metadata) == dict(ref._metadata)\n",
               {output, exporttest::fixturePath(fixture)});
    }

    void customWholeModelWithTiedWeights()
    {
        ExportOptions options;
        options.stateDictOnly = true;
        auto report = exportFile("custom_whole.pth", out("custom_sd.pth"), options);
        QVERIFY2(report.ok(), report.ok() ? "" : report.error().detail.c_str());
        // The class lives in the generator's __main__, so compare with the keys the fixture truth recorded.
        oracle("import json\n"
               "sd = torch.load(sys.argv[1], weights_only=True)\n"
               "truth = json.load(open(sys.argv[2]))\n"
               "keys = truth['weight_sets'][0]['keys']\n"
               "assert list(sd) == keys, (list(sd), keys)\n",
               {out("custom_sd.pth"), exporttest::fixturePath("custom_whole.truth.json")});
    }

    void viewsSharingDtypesAndValues_data()
    {
        QTest::addColumn<QString>("fixture");
        QTest::newRow("views") << "views.pth";
        QTest::newRow("dtypes") << "dtypes.pth";
        QTest::newRow("containers") << "containers.pth";
        QTest::newRow("quantized") << "quantized.pth";
        QTest::newRow("sparse") << "sparse.pth";
        QTest::newRow("special values") << "special_values.pth";
        QTest::newRow("legacy state dict") << "resnet18_legacy_sd.pth";
        QTest::newRow("protocol 4") << "train_sgd_protocol4.pth";
        QTest::newRow("deflated zip") << "small_deflated.pth";
        QTest::newRow("mps and meta") << "mps_meta.pth";
    }

    void viewsSharingDtypesAndValues()
    {
        QFETCH(QString, fixture);
        ExportOptions options;
        if (fixture == "mps_meta.pth") options.locations = LocationMap::parse("mps=cpu").value();
        QString output = out("same_" + fixture);
        auto report = exportFile(fixture, output, options);
        QVERIFY2(report.ok(), report.ok() ? "" : report.error().detail.c_str());
        oracle("import zipfile\n"
               "a = torch.load(sys.argv[1]); b = torch.load(sys.argv[2], map_location={'mps': 'cpu'})\n"
               "assert zipfile.is_zipfile(sys.argv[1]) and same(a, b)\n"
               "if 'base' in a:\n"
               "    ptr = a['base'].storage().data_ptr()\n"
               "    for k in ('row2', 'transposed', 'slice_cols', 'strided', 'base_again'):\n"
               "        assert a[k].storage().data_ptr() == ptr, k\n"
               "    assert a['base_again'] is a['base']\n"
               "    assert a['shared_tail'].storage().data_ptr() == a['shared_a'].storage().data_ptr()\n"
               "    assert a['tail_of_big'].storage().size() == 1000\n"
               "if 'shared_list' in a: assert a['shared_list'] is a['shared_again']\n",
               {output, exporttest::fixturePath(fixture)});
    }

    void deviceObjectsFollowTheLocationMap()
    {
        ExportOptions options;
        options.locations = LocationMap::parse("cpu=cuda:1").value();
        auto report = exportFile("containers.pth", out("devices.pth"), options);
        QVERIFY2(report.ok(), report.ok() ? "" : report.error().detail.c_str());
        oracle("a = torch.load(sys.argv[1], map_location='cpu')\n"
               "assert a['device'] == torch.device('cuda', 1), a['device']\n"
               "import zipfile\n"
               "pkl = [n for n in zipfile.ZipFile(sys.argv[1]).namelist() if n.endswith('data.pkl')][0]\n"
               "raw = zipfile.ZipFile(sys.argv[1]).read(pkl)\n"
               "assert b'cuda:1' in raw and b'\\x58\\x03\\x00\\x00\\x00cpu' not in raw\n",
               {out("devices.pth")});
    }

    void safetensorsReadBack()
    {
        ExportOptions options;
        options.format = ExportFormat::Safetensors;
        options.layout = TargetLayout::Single;
        auto report = exportFile("resnet18_dp.pth", out("r18.safetensors"), options);
        QVERIFY2(report.ok(), report.ok() ? "" : report.error().detail.c_str());
        auto views = exportFile("views.pth", out("views.safetensors"), safetensorsOptions());
        QVERIFY2(views.ok(), views.ok() ? "" : views.error().detail.c_str());
        auto dtypes = exportFile("dtypes.pth", out("dtypes.safetensors"), safetensorsOptions());
        // complex has no safetensors dtype in the format version we target: refused by name, nothing written.
        QVERIFY(!dtypes.ok());
        QCOMPARE(dtypes.error().status, Status::Refused);
        QVERIFY(dtypes.error().detail.find("complex") != std::string::npos);
        QVERIFY(!QFileInfo::exists(out("dtypes.safetensors")));

        for (const QString& file : {out("r18.safetensors"), out("views.safetensors")}) {
            auto loaded = loadCheckpoint(file.toStdString());
            QVERIFY2(loaded.ok(), loaded.ok() ? "" : loaded.error().detail.c_str());
            QCOMPARE(loaded.value()->format, Format::Safetensors);
        }
        QString reader =
            "import json, struct\n"
            "def read(path):\n"
            "    raw = open(path, 'rb').read(); n = struct.unpack('<Q', raw[:8])[0]\n"
            "    assert (8 + n) % 8 == 0\n"
            "    header = json.loads(raw[8:8 + n]); meta = header.pop('__metadata__')\n"
            "    assert meta == {'format': 'pt'}\n"
            "    names = {'F32': torch.float32, 'I64': torch.int64, 'F16': torch.float16}\n"
            "    out = {}; end = 0\n"
            "    for k, v in sorted(header.items(), key=lambda kv: kv[1]['data_offsets']):\n"
            "        b, e = v['data_offsets']; assert b == end; end = e\n"
            "        buf = bytearray(raw[8 + n + b:8 + n + e])\n"
            "        t = torch.frombuffer(buf, dtype=names[v['dtype']]) if buf else "
            "torch.empty(0, dtype=names[v['dtype']])\n"
            "        out[k] = t.reshape(v['shape'])\n"
            "    assert 8 + n + end == len(raw)\n"
            "    return out\n"
            "r = read(sys.argv[1]); orig = torch.load(sys.argv[2])\n"
            "assert set(r) == {k[7:] for k in orig} and all(torch.equal(r[k[7:]], v) for k, v in orig.items())\n"
            "v = read(sys.argv[3]); ov = torch.load(sys.argv[4])\n"
            "assert set(v) == set(ov) and all(torch.equal(v[k], t) for k, t in ov.items())\n";
        oracle(reader, {out("r18.safetensors"), exporttest::fixturePath("resnet18_dp.pth"), out("views.safetensors"),
                        exporttest::fixturePath("views.pth")});
    }

    void safetensorsRefusesQuantizedAndSparse_data()
    {
        QTest::addColumn<QString>("fixture");
        QTest::newRow("quantized") << "quantized.pth";
        QTest::newRow("sparse") << "sparse.pth";
    }

    void safetensorsRefusesQuantizedAndSparse()
    {
        QFETCH(QString, fixture);
        auto report = exportFile(fixture, out("refused.safetensors"), safetensorsOptions());
        QVERIFY(!report.ok());
        QCOMPARE(report.error().status, Status::Refused);
        QVERIFY(report.error().detail.find("safetensors format cannot hold") != std::string::npos);
        QVERIFY(!QFileInfo::exists(out("refused.safetensors")));
        noLeftovers(m_dir.path());
    }

    void collisionIsRefusedWithBothNames()
    {
        auto plan = RenamePlan::build({"module.fc.weight", "fc.weight"}, RenameRule{}, TargetLayout::Single);
        QVERIFY(!plan.ok());
        QCOMPARE(plan.error().status, Status::Refused);
        QVERIFY(plan.error().detail.find("`module.fc.weight`") != std::string::npos);
        QVERIFY(plan.error().detail.find("`fc.weight`") != std::string::npos);

        QString input = exporttest::fixturePath("resnet18_sd.pth");
        QByteArray before = exporttest::fileDigest(input);
        ExportOptions options;
        options.rule.dropComponents = {"conv1", "bn1"}; // conv1.weight and bn1.weight both become "weight"
        auto report = exportFile("resnet18_sd.pth", out("collide.pth"), options);
        QVERIFY(!report.ok());
        QCOMPARE(report.error().status, Status::Refused);
        QVERIFY(report.error().detail.find("`conv1.weight`") != std::string::npos);
        QVERIFY(report.error().detail.find("`bn1.weight`") != std::string::npos);
        QVERIFY(!QFileInfo::exists(out("collide.pth")));
        QCOMPARE(exporttest::fileDigest(input), before);
        noLeftovers(m_dir.path());
    }

    void fullDiskMidWayLeavesNothing()
    {
        QString input = exporttest::fixturePath("resnet18_sd.pth");
        QByteArray before = exporttest::fileDigest(input);
        auto report = exportFile("resnet18_sd.pth", out("full.pth"), ExportOptions{}, [](ZipWriterSink& file) {
            return std::make_unique<exporttest::FullDiskSink>(file, 10000000);
        });
        QVERIFY(!report.ok());
        QCOMPARE(report.error().status, Status::IoError);
        QVERIFY(report.error().detail.find("No space left") != std::string::npos);
        QVERIFY(!QFileInfo::exists(out("full.pth")));
        QCOMPARE(exporttest::fileDigest(input), before);
        noLeftovers(m_dir.path());
    }

    void unwritableDirectoryLeavesNothing()
    {
        // A path below a regular file cannot be created even by root (tests may run as root, where mode bits
        // do not stop writes); a read-only directory is checked too when we are not root.
        QString blocker = out("not_a_dir");
        QFile file(blocker);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.close();
        auto report = exportFile("resnet18_sd.pth", blocker + "/out.pth", ExportOptions{});
        QVERIFY(!report.ok());
        QCOMPARE(report.error().status, Status::IoError);
        QVERIFY(report.error().detail.find("cannot create a temporary file") != std::string::npos);
        if (::geteuid() != 0) {
            QString locked = out("locked");
            QVERIFY(QDir().mkdir(locked));
            QFile::setPermissions(locked, QFileDevice::ReadOwner | QFileDevice::ExeOwner);
            auto denied = exportFile("resnet18_sd.pth", locked + "/out.pth", ExportOptions{});
            QVERIFY(!denied.ok());
            QCOMPARE(denied.error().status, Status::IoError);
            QVERIFY(exporttest::directoryEntries(locked).isEmpty());
        }
        noLeftovers(m_dir.path());
    }

    void existingOutputNeedsForceAndInputIsNeverTheOutput()
    {
        QString output = out("exists.pth");
        QFile file(output);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("keep me");
        file.close();
        auto refused = exportFile("resnet18_sd.pth", output, ExportOptions{});
        QVERIFY(!refused.ok());
        QCOMPARE(refused.error().status, Status::Refused);
        QVERIFY(refused.error().detail.find("--force") != std::string::npos);
        QCOMPARE(exporttest::fileDigest(output),
                 QCryptographicHash::hash("keep me", QCryptographicHash::Sha256).toHex());

        ExportOptions force;
        force.force = true;
        auto replaced = exportFile("resnet18_sd.pth", output, force);
        QVERIFY2(replaced.ok(), replaced.ok() ? "" : replaced.error().detail.c_str());

        QString input = exporttest::fixturePath("resnet18_sd.pth");
        auto same = exportFile("resnet18_sd.pth", input, force);
        QVERIFY(!same.ok());
        QCOMPARE(same.error().status, Status::Refused);
        QVERIFY(same.error().detail.find("input") != std::string::npos);
    }

    void dangerousGlobalsAreRefused()
    {
        QString output = out("hostile.pth");
        auto report = exportFile("hostile_zip_os_system.pth", output, ExportOptions{});
        QVERIFY(!report.ok());
        QCOMPARE(report.error().status, Status::Refused);
        QVERIFY(report.error().detail.find("dangerous") != std::string::npos);
        QVERIFY(report.error().detail.find("--drop-dangerous") != std::string::npos); // says how to go on
        QVERIFY(!QFileInfo::exists(output));
    }

    void zip64OutputLoads()
    {
        ExportOptions options;
        options.forceZip64 = true;
        auto report = exportFile("views.pth", out("views64.pth"), options);
        QVERIFY2(report.ok(), report.ok() ? "" : report.error().detail.c_str());
        oracle("a = torch.load(sys.argv[1]); b = torch.load(sys.argv[2]); assert same(a, b)\n",
               {out("views64.pth"), exporttest::fixturePath("views.pth")});
    }
};

QTEST_GUILESS_MAIN(TestExport)
#include "tst_export.moc"
