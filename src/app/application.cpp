#include "app/application.h"

#include <cstdio>
#include <string>

#include <QApplication>
#include <QCommandLineParser>
#include <QIcon>
#include <QTimer>

#include "app/aboutdialog.h"
#include "app/mainwindow.h"
#include "app/screenshottour.h"
#include "core/version.h"

namespace ckpt::app
{

const char* versionLine()
{
    static const std::string text = AboutDialog::versionText(false).toStdString();
    return text.c_str();
}

void describeOptions(QCommandLineParser& parser)
{
    parser.setApplicationDescription(
        QStringLiteral("Inspect, compare and repair PyTorch checkpoints. With no file, opens the embedded sample."));
    parser.addHelpOption();
    parser.addOption({QStringLiteral("version"), QStringLiteral("Print the versions and exit.")});
    parser.addOption({QStringLiteral("diff"), QStringLiteral("Compare two files side by side: --diff A B.")});
    parser.addOption({QStringLiteral("screenshots"),
                      QStringLiteral("Write the documentation screenshots into DIR and quit."), QStringLiteral("DIR")});
    parser.addPositionalArgument(QStringLiteral("FILE"), QStringLiteral("Checkpoint to open."),
                                 QStringLiteral("[FILE]"));
}

int printHelp(int argc, char* argv[])
{
    // A QCoreApplication needs no display, so --help works over ssh and in scripts.
    QCoreApplication core(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("checkpoint-inspector"));
    QCoreApplication::setApplicationVersion(QLatin1String(projectVersion()));
    QCommandLineParser parser;
    describeOptions(parser);
    std::fputs(qPrintable(parser.helpText()), stdout);
    std::fputs("\nKeyboard: F1 opens the manual; Help > Keyboard Shortcuts lists every shortcut.\n", stdout);
    return 0;
}

int runApplication(QApplication& app)
{
    QApplication::setOrganizationName(QStringLiteral("checkpoint-inspector"));
    QApplication::setApplicationName(QStringLiteral("Checkpoint Inspector"));
    QApplication::setApplicationVersion(QLatin1String(projectVersion()));
    QApplication::setDesktopFileName(QStringLiteral("checkpoint-inspector"));
    QIcon icon;
    for (int size : {16, 22, 24, 32, 48, 64, 128, 256})
        icon.addFile(QStringLiteral(":/icons/checkpoint-inspector-%1.png").arg(size), QSize(size, size));
    QApplication::setWindowIcon(icon);

    QCommandLineParser parser;
    describeOptions(parser);
    parser.process(app);
    const QStringList files = parser.positionalArguments();

    auto* window = new MainWindow;
    window->setAttribute(Qt::WA_DeleteOnClose);
    window->show();
    if (parser.isSet(QStringLiteral("screenshots"))) {
        auto* tour = new ScreenshotTour(window, parser.value(QStringLiteral("screenshots")), window);
        // --screenshots DIR FOLDER adds the distributed view of FOLDER (a DCP or DeepSpeed directory).
        if (!files.isEmpty()) tour->setDistributedFolder(files.first());
        QTimer::singleShot(0, tour, [tour] { QApplication::exit(tour->run() ? 0 : 1); });
        return app.exec();
    }
    if (parser.isSet(QStringLiteral("diff"))) {
        if (files.size() != 2) {
            std::fprintf(stderr, "checkpoint-inspector: --diff needs two files: --diff A B\n");
            return 2;
        }
        window->openFile(files.at(0));
        window->openDiff(files.at(1), files.at(0));
    } else if (!files.isEmpty()) {
        window->openFile(files.first());
    } else {
        window->openSample();
    }
    return app.exec();
}

} // namespace ckpt::app
