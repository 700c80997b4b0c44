# The engine image a cluster runs for a sharded build (docs/clusters.md): the .NET 10 SDK, this repository and one
# dataset project, restored and with its build tasks built, so that every shard and the merge run
# `dotnet build … --no-restore -p:BuildProjectReferences=false` and build nothing but the dataset.
#
#   docker build -f docker/engine.Dockerfile --build-arg PROJECT=datasets/tabletop -t REGISTRY/synthbuild-engine:TAG .
#
# Not built in this repository's CI (no container engine there): the manifests and the index contract are tested instead.
FROM mcr.microsoft.com/dotnet/sdk:10.0

# The dataset project inside the image, relative to the repository root: SynthK8sProject is /src/$PROJECT/NAME.synthproj.
ARG PROJECT=datasets/tabletop

ENV DOTNET_CLI_TELEMETRY_OPTOUT=1 \
    DOTNET_NOLOGO=1 \
    MSBUILDDISABLENODEREUSE=1

WORKDIR /src
COPY . /src
# ResolveReferences restores the project and builds the task assembly it references (what SynthSubmit itself runs
# first) without generating any sample: the samples are the shards' work, on the shared volume.
RUN dotnet build "$PROJECT" -t:ResolveReferences -nologo
