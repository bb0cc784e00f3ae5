// Versions of the imitate SDK. See VERSIONING.md for what bumps which.
#ifndef IMITATE_SDK_VERSION_H_
#define IMITATE_SDK_VERSION_H_

// Semantic version of the SDK's source interface, for humans.
#define IMITATE_SDK_VERSION "0.3.0"

// Binary interface version: bumped on any change to an interface's virtual methods, a shared
// struct's layout, the manifest or the registrar. A plugin built against another value is refused.
#ifdef IMITATE_TEST_ABI_VERSION  // only the loader tests build a plugin with a different value
#define IMITATE_ABI_VERSION IMITATE_TEST_ABI_VERSION
#else
#define IMITATE_ABI_VERSION 3
#endif

#endif  // IMITATE_SDK_VERSION_H_
