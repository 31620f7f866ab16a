#include <cstdio>
#include <cstring>

#include <QApplication>

#include "app/application.h"

int main(int argc, char* argv[])
{
    // Answered before QApplication exists, so --version works without a display.
    for (int i = 1; i < argc; ++i)
        if (std::strcmp(argv[i], "--version") == 0 || std::strcmp(argv[i], "-v") == 0) {
            std::printf("%s\n", ckpt::app::versionLine());
            return 0;
        }
    for (int i = 1; i < argc; ++i)
        if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0 ||
            std::strcmp(argv[i], "--help-all") == 0)
            return ckpt::app::printHelp(argc, argv);
    QApplication app(argc, argv);
    return ckpt::app::runApplication(app);
}
