using k8s;
using k8s.Models;
using SynthBuild.Scheduling.Kubernetes;
using Diagnostic = SynthBuild.Core.Diagnostics.Diagnostic;

namespace SynthBuild.Scheduling.Tests;

public class KubernetesJobsTests
{
    private static SubmitRequest Request(string work, string dataset = "Table Top", int shards = 4) =>
        new("/home/me/sets/tabletop/tabletop.synthproj", dataset, shards, "/home/me/sets/tabletop/bin/dataset/", work,
            [KeyValuePair.Create("SynthConfig", "/home/me/sets/tabletop/synth.json"), KeyValuePair.Create("SynthSamples", "100"),
             KeyValuePair.Create("Configuration", "Release")]) { Dotnet = "/usr/share/dotnet/dotnet" };

    private static KubernetesSettings Settings() => new()
    {
        Image = "registry.example/synthbuild-engine:0.6", VolumeClaim = "synth-shared", Project = "/src/datasets/tabletop/tabletop.synthproj",
        Namespace = "vision", Cpu = "2", Memory = "4Gi", Parallelism = "3",
    };

    private static string Work() => Path.Combine(Path.GetTempPath(), "synth-k8s-tests", Guid.NewGuid().ToString("N")[..12]);

    private static V1Job LoadOne(string file)
    {
        var objects = KubernetesYaml.LoadAllFromString(File.ReadAllText(file));
        return Assert.IsType<V1Job>(Assert.Single(objects));
    }

    [Fact]
    public void The_written_manifests_load_back_as_an_indexed_shard_job_and_a_merge_job()
    {
        string work = Work();
        var request = Request(work);
        var errors = new List<Diagnostic>();
        var options = KubernetesOptions.Resolve(Settings(), request, errors);
        Assert.Empty(errors);
        var written = KubernetesJobs.Write(request, options!);
        Assert.Equal(Path.Combine(work, "table-top-shards.yaml"), written.ShardFile);
        Assert.Equal(Path.Combine(work, "table-top-merge.yaml"), written.MergeFile);
        Assert.Equal(["table-top-merge.yaml", "table-top-shards.yaml"], Directory.GetFiles(work).Select(Path.GetFileName).Order(StringComparer.Ordinal));

        var shards = LoadOne(written.ShardFile);
        Assert.Equal(("batch/v1", "Job"), (shards.ApiVersion, shards.Kind));
        Assert.Equal("table-top-shards", shards.Metadata.Name);
        Assert.Equal("vision", shards.Metadata.NamespaceProperty);
        Assert.Equal("Indexed", shards.Spec.CompletionMode);
        Assert.Equal(4, shards.Spec.Completions);
        Assert.Equal(3, shards.Spec.Parallelism);
        Assert.Equal(KubernetesOptions.DefaultBackoffLimitPerIndex, shards.Spec.BackoffLimitPerIndex);
        var pod = shards.Spec.Template.Spec;
        Assert.Equal("Never", pod.RestartPolicy);
        var container = Assert.Single(pod.Containers);
        Assert.Equal("registry.example/synthbuild-engine:0.6", container.Image);
        var volume = Assert.Single(pod.Volumes);
        Assert.Equal("synth-shared", volume.PersistentVolumeClaim.ClaimName);
        var mount = Assert.Single(container.VolumeMounts);
        Assert.Equal((volume.Name, "/data"), (mount.Name, mount.MountPath));
        Assert.Equal(new ResourceQuantity("2"), container.Resources.Requests["cpu"]);
        Assert.Equal(new ResourceQuantity("4Gi"), container.Resources.Limits["memory"]);
        // The shard command, with every host path mapped into the pod: the image's project, the volume's output folder,
        // the config beside the project; the image's dotnet.
        Assert.Equal(["dotnet", "build", "/src/datasets/tabletop/tabletop.synthproj", "--no-restore", "-nologo", "-nodeReuse:false", "-p:BuildProjectReferences=false",
            "-p:SynthShard=auto/4", "-p:SynthOutputDir=/data/table-top/", "-p:SynthConfig=/src/datasets/tabletop/synth.json",
            "-p:SynthSamples=100", "-p:Configuration=Release"], container.Command);
        Assert.DoesNotContain(container.Command, a => a.Contains("/home/me", StringComparison.Ordinal));

        var merge = LoadOne(written.MergeFile);
        Assert.Equal("table-top-merge", merge.Metadata.Name);
        Assert.Null(merge.Spec.CompletionMode);
        Assert.Equal((1, 1), (merge.Spec.Completions, merge.Spec.Parallelism));
        var mergeContainer = Assert.Single(merge.Spec.Template.Spec.Containers);
        Assert.Equal(["dotnet", "build", "/src/datasets/tabletop/tabletop.synthproj", "--no-restore", "-nologo", "-nodeReuse:false", "-p:BuildProjectReferences=false",
            "-t:SynthMerge", "-p:SynthShards=4", "-p:SynthOutputDir=/data/table-top/", "-p:SynthConfig=/src/datasets/tabletop/synth.json",
            "-p:SynthSamples=100", "-p:Configuration=Release"], mergeContainer.Command);
        Assert.Equal("synth-shared", Assert.Single(merge.Spec.Template.Spec.Volumes).PersistentVolumeClaim.ClaimName);
        Assert.Equal("Never", merge.Spec.Template.Spec.RestartPolicy);
    }

    [Fact]
    public void Defaults_parallelism_is_the_shard_count_and_no_resources_are_set()
    {
        var request = Request(Work(), "demo", shards: 5);
        var options = KubernetesOptions.Resolve(new KubernetesSettings { Image = "img", VolumeClaim = "pvc", MountPath = "/mnt/shared/" }, request, []);
        Assert.NotNull(options);
        Assert.Equal(5, options.Parallelism);
        Assert.Equal("/mnt/shared/demo/", options.OutputDirectory);
        Assert.Equal(KubernetesOptions.DefaultWaitTimeout, options.WaitTimeout);
        var job = KubernetesJobs.ShardJob(request, options);
        Assert.Equal(5, job.Spec.Parallelism);
        Assert.Null(job.Spec.Template.Spec.Containers[0].Resources);
        Assert.Null(job.Metadata.NamespaceProperty);
        Assert.Equal("/mnt/shared", job.Spec.Template.Spec.Containers[0].VolumeMounts[0].MountPath);
    }

    public static TheoryData<KubernetesSettings, string, string> BadSettings() => new()
    {
        { new() { VolumeClaim = "pvc" }, "SYN9230", "SynthK8sImage is not set" },
        { new() { Image = "img" }, "SYN9230", "SynthK8sVolumeClaim is not set" },
        { new() { Image = "img", VolumeClaim = "Shared_Claim" }, "SYN9233", "SynthK8sVolumeClaim 'Shared_Claim'" },
        { new() { Image = "img", VolumeClaim = "pvc", Namespace = "-bad-" }, "SYN9233", "SynthK8sNamespace '-bad-'" },
        { new() { Image = "img", VolumeClaim = "pvc", Cpu = "two" }, "SYN9231", "SynthK8sCpu 'two'" },
        { new() { Image = "img", VolumeClaim = "pvc", Memory = "4GB!" }, "SYN9231", "SynthK8sMemory '4GB!'" },
        { new() { Image = "img", VolumeClaim = "pvc", Memory = "0" }, "SYN9231", "SynthK8sMemory '0'" },
        { new() { Image = "img", VolumeClaim = "pvc", Parallelism = "5" }, "SYN9232", "SynthK8sParallelism '5' is not an integer from 1 to SynthShards (4)" },
        { new() { Image = "img", VolumeClaim = "pvc", Parallelism = "0" }, "SYN9232", "SynthK8sParallelism '0'" },
        { new() { Image = "img", VolumeClaim = "pvc", BackoffLimitPerIndex = "-1" }, "SYN9232", "SynthK8sBackoffLimitPerIndex '-1'" },
        { new() { Image = "img", VolumeClaim = "pvc", WaitTimeout = "soon" }, "SYN9235", "SynthK8sWaitTimeout 'soon'" },
        { new() { Image = "img", VolumeClaim = "pvc", OutputDirectory = "/elsewhere/out" }, "SYN9234", "SynthK8sOutputDir '/elsewhere/out/' is not under SynthK8sMountPath '/data'" },
        { new() { Image = "img", VolumeClaim = "pvc", Project = "datasets/x.synthproj" }, "SYN9234", "SynthK8sProject 'datasets/x.synthproj'" },
        { new() { Image = "img", VolumeClaim = "pvc", MountPath = "/data/../etc" }, "SYN9234", "SynthK8sMountPath '/data/../etc'" },
    };

    [Theory]
    [MemberData(nameof(BadSettings))]
    public void Bad_settings_are_each_a_SYN_error_naming_the_property_and_the_project(KubernetesSettings settings, string code, string message)
    {
        var errors = new List<Diagnostic>();
        Assert.Null(KubernetesOptions.Resolve(settings, Request(Work()), errors));
        var error = Assert.Single(errors);
        Assert.Equal(code, error.Code);
        Assert.Contains(message, error.Message);
        Assert.Equal("/home/me/sets/tabletop/tabletop.synthproj", error.File);
    }

    [Fact]
    public void A_dataset_name_without_letters_or_digits_gives_no_job_name()
    {
        var errors = new List<Diagnostic>();
        Assert.Null(KubernetesOptions.Resolve(new KubernetesSettings { Image = "img", VolumeClaim = "pvc" }, Request(Work(), "__"), errors));
        Assert.Equal("SYN9233", Assert.Single(errors).Code);
    }

    [Theory]
    [InlineData("Table Top", "table-top")]
    [InlineData("tabletop_v2.1", "tabletop-v2-1")]
    [InlineData("--Ü--x--", "x")]
    public void Job_names_are_DNS_1123_labels_from_the_dataset_name(string dataset, string job) =>
        Assert.Equal(job, KubernetesOptions.JobNameFor(dataset));

    [Fact]
    public void A_long_dataset_name_is_cut_so_the_shard_job_name_is_a_label()
    {
        string name = KubernetesOptions.JobNameFor(new string('a', 40) + "-" + new string('b', 40));
        Assert.True((name + "-shards").Length <= 63);
        Assert.Matches("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", name);
    }

    [Fact]
    public void The_default_project_path_is_the_project_below_its_repository_root_under_src()
    {
        string repo = Work();
        Directory.CreateDirectory(Path.Combine(repo, ".git"));
        Assert.Equal("/src/datasets/shelf/shelf.synthproj",
            KubernetesOptions.DefaultProjectPath(Path.Combine(repo, "datasets", "shelf", "shelf.synthproj")));
        // Outside a repository: the project folder under /src.
        string loose = Path.Combine(Path.GetTempPath(), "synth-k8s-loose-" + Guid.NewGuid().ToString("N")[..8], "shelf", "shelf.synthproj");
        Assert.Equal("/src/shelf/shelf.synthproj", KubernetesOptions.DefaultProjectPath(loose));
    }

    [Theory]
    [InlineData("90s", 90)]
    [InlineData("30m", 1800)]
    [InlineData("1h30m", 5400)]
    [InlineData("2h", 7200)]
    public void Wait_timeouts_are_go_durations(string text, int seconds)
    {
        Assert.True(KubernetesOptions.TryParseDuration(text, out var d));
        Assert.Equal(TimeSpan.FromSeconds(seconds), d);
    }

    [Theory]
    [InlineData("")]
    [InlineData("0s")]
    [InlineData("5")]
    [InlineData("1d")]
    public void Other_timeouts_are_rejected(string text) => Assert.False(KubernetesOptions.TryParseDuration(text, out _));
}
