// ckpt_gui_bench: measurements for tests/bench/bench_gui.py, printed as one JSON object.
//   ckpt_gui_bench load FILE    largest event-loop gap (ms) while the main window loads and shows FILE, then the
//                               first click on a tensor row and the first keystroke in the filter box
//   ckpt_gui_bench filter FILE  time (ms) to filter the tree of FILE by substring and by regex
#include <algorithm>
#include <cstdio>

#include <QApplication>
#include <QElapsedTimer>
#include <QKeyEvent>
#include <QLineEdit>
#include <QTimer>
#include <QTreeView>

#include "app/mainwindow.h"
#include "app/signalwaiter.h"
#include "models/checkpointtreemodel.h"
#include "models/treefilterproxy.h"

using namespace ckpt;

namespace
{

int benchLoad(const QString& file)
{
    app::MainWindow window;
    window.resize(1200, 800);
    window.show();
    QApplication::processEvents();
    QElapsedTimer clock;
    qint64 last = 0, maxGap = 0;
    // A zero-interval timer fires whenever the loop is idle; the longest wait between two firings is the
    // longest the window could not react to input.
    QTimer probe;
    probe.setInterval(0);
    QObject::connect(&probe, &QTimer::timeout, [&] {
        const qint64 now = clock.nsecsElapsed();
        maxGap = std::max(maxGap, now - last);
        last = now;
    });
    clock.start();
    probe.start();
    qint64 shownAt = -1;
    const bool ok = app::waitForSignal(
        &window, &app::MainWindow::documentShown, [&] { window.openFile(file); }, 120000);
    shownAt = clock.nsecsElapsed();
    // Keep probing while the view lays out and paints the first screen.
    QElapsedTimer tail;
    tail.start();
    while (tail.elapsed() < 300)
        QApplication::processEvents(QEventLoop::AllEvents, 10);
    probe.stop();
    // What a user does first, each on the fresh window (no cache warmed by an earlier run), each timed until the
    // event loop has handled it and everything it queued (relayout, detail pane): the first click on a tensor
    // row, then the first keystroke in the filter box (it builds the path cache).
    double firstClickMs = -1, firstKeyMs = -1;
    auto* tree = window.findChild<QTreeView*>(QStringLiteral("treeView"));
    auto* edit = window.findChild<QLineEdit*>(QStringLiteral("filterEdit"));
    if (ok && tree && tree->model()) {
        QModelIndex leaf = tree->model()->index(0, 0);
        while (leaf.isValid() && tree->model()->rowCount(leaf) > 0) {
            tree->expand(leaf);
            leaf = tree->model()->index(0, 0, leaf);
        }
        QApplication::processEvents();
        QElapsedTimer t;
        t.start();
        tree->setCurrentIndex(leaf);
        QApplication::processEvents();
        firstClickMs = double(t.nsecsElapsed()) / 1e6;
    }
    if (ok && edit) {
        edit->setFocus();
        QApplication::processEvents();
        QElapsedTimer t;
        t.start();
        QKeyEvent press(QEvent::KeyPress, Qt::Key_B, Qt::NoModifier, QStringLiteral("b"));
        QApplication::sendEvent(edit, &press);
        QApplication::processEvents();
        firstKeyMs = double(t.nsecsElapsed()) / 1e6;
    }
    std::printf("{\"ok\": %s, \"max_gap_ms\": %.3f, \"shown_ms\": %.3f, \"tensors\": %zu, \"first_click_ms\": %.3f, "
                "\"first_key_ms\": %.3f}\n",
                ok ? "true" : "false", double(maxGap) / 1e6, double(shownAt) / 1e6,
                window.document() ? window.document()->tensors.size() : 0, firstClickMs, firstKeyMs);
    return ok ? 0 : 1;
}

int benchFilter(const QString& file)
{
    Result<CheckpointPtr> doc = loadCheckpoint(file.toStdString());
    if (!doc.ok()) {
        std::fprintf(stderr, "%s\n", doc.error().describe(file.toStdString()).c_str());
        return 1;
    }
    models::CheckpointTreeModel model;
    models::TreeFilterProxy proxy;
    proxy.setTreeModel(&model);
    model.setTree(models::CheckpointTree::build(doc.value()));
    QTreeView view;
    view.setUniformRowHeights(true);
    view.setModel(&proxy);
    view.resize(1000, 700);
    view.show();
    double proxyOnly = 1e9;
    auto timed = [&](const QString& text, bool regex) {
        QElapsedTimer t;
        t.start();
        proxy.setFilter(text, regex);
        proxyOnly = std::min(proxyOnly, double(t.nsecsElapsed()) / 1e6);
        QApplication::processEvents(); // include the view's relayout
        return double(t.nsecsElapsed()) / 1e6;
    };
    struct Times {
        double substring = 1e9, regex = 1e9, clear = 1e9;
    };
    auto measure = [&] {
        Times t;
        for (int i = 0; i < 3; ++i) {
            t.substring = std::min(t.substring, timed(QStringLiteral("block.12"), false));
            t.clear = std::min(t.clear, timed(QString(), false));
            t.regex = std::min(t.regex, timed(QStringLiteral("block\\.1\\d*7\\.weight$"), true));
            timed(QString(), false);
        }
        return t;
    };
    // As the window opens a file: the top level expanded. The first filter also builds the path cache.
    view.expandToDepth(0);
    QApplication::processEvents();
    const double first = timed(QStringLiteral("block.1"), false);
    timed(QString(), false);
    const Times window = measure();
    // The hard case: a group with 50,000 children expanded, so the view lays out every row it keeps.
    view.expandToDepth(1);
    QApplication::processEvents();
    const Times expanded = measure();
    const double substring = window.substring, regex = window.regex, clear = window.clear;
    int rows = 0;
    for (int id = 1; id < model.tree()->size(); ++id)
        rows += 1;
    QElapsedTimer build;
    build.start();
    auto rebuilt = models::CheckpointTree::build(doc.value());
    const double buildMs = double(build.nsecsElapsed()) / 1e6;
    std::printf("{\"rows\": %d, \"first_ms\": %.3f, \"substring_ms\": %.3f, \"regex_ms\": %.3f, \"clear_ms\": %.3f, "
                "\"proxy_only_ms\": %.3f, \"tree_build_ms\": %.3f, \"expanded_substring_ms\": %.3f, "
                "\"expanded_regex_ms\": %.3f, \"expanded_clear_ms\": %.3f}\n",
                rows, first, substring, regex, clear, proxyOnly, buildMs, expanded.substring, expanded.regex,
                expanded.clear);
    return 0;
}

} // namespace

int main(int argc, char* argv[])
{
    QApplication app(argc, argv);
    QCoreApplication::setOrganizationName(QStringLiteral("checkpoint-inspector-bench"));
    const QStringList args = QCoreApplication::arguments();
    if (args.size() != 3) {
        std::fprintf(stderr, "usage: ckpt_gui_bench load|filter FILE\n");
        return 2;
    }
    if (args.at(1) == QLatin1String("load")) return benchLoad(args.at(2));
    if (args.at(1) == QLatin1String("filter")) return benchFilter(args.at(2));
    std::fprintf(stderr, "usage: ckpt_gui_bench load|filter FILE\n");
    return 2;
}
