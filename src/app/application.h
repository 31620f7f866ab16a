#pragma once

class QApplication;
class QCommandLineParser;

namespace ckpt::app
{

// Sets the application's identity (QSettings scope, icon), parses the command line
// (`[FILE]`, `--diff A B`, `--screenshots DIR`) and shows the first window; returns the exit code.
int runApplication(QApplication& app);

// The command line the application accepts (shared by the window and --help).
void describeOptions(QCommandLineParser& parser);
// `--help`: the options, printed without a display (no QApplication); returns the exit code.
int printHelp(int argc, char* argv[]);

// `--version` output: project, Qt and (without loading it) LibTorch; printed before any window system starts.
const char* versionLine();

} // namespace ckpt::app
