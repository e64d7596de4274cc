// Package dotnet extracts the NuGet packages of .NET applications from
// their <app>.deps.json, which `dotnet build` and `dotnet publish` write
// next to the application's assemblies (format:
// https://github.com/dotnet/sdk/blob/main/documentation/specs/runtime-configuration-file.md).
//
// Reported: the "libraries" of type "package", with their versions, and
// those of type "runtimepack" (the .NET runtime a self-contained
// application carries, "runtimepack.Microsoft.NETCore.App.Runtime.linux-x64"
// reported as the NuGet package Microsoft.NETCore.App.Runtime.linux-x64).
// Projects ("project", the application and its own libraries) and
// assembly references have no NuGet version and are not reported.
//
// The runtime target (runtimeTarget.name, ".NETCoreApp,Version=v8.0" or
// ".NETCoreApp,Version=v8.0/linux-x64") decides what runs: a package
// whose entry in that target is missing or empty (no assets, no
// dependencies: a build-only package, or one the shared framework
// supersedes) is not deployed with the application and is not reported.
// A file without a usable runtime target is read without this filter.
//
// Files are reduced while the layer streams to "name\tversion" lines.
package dotnet
