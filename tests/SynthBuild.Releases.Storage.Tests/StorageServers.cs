using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Amazon.Runtime;
using Amazon.S3;
using Azure.Storage.Blobs;
using SynthBuild.TestSupport;

namespace SynthBuild.Releases.Storage.Tests;

/// <summary>The test classes that share one pair of servers and one release (started once per test run).</summary>
[CollectionDefinition(Name)]
public sealed class StorageCollection : ICollectionFixture<StorageServers>, ICollectionFixture<ReleaseFixture>
{
    public const string Name = "storage servers";
}

/// <summary>
/// Real storage servers for the storage test collection: Azurite's blob service (Microsoft's Azure Storage emulator) and
/// s3rver (an S3-compatible server), both from npm in servers/node_modules (`npm ci` there; .ci/run does it).
/// Each starts on a free port with its data in a temporary folder and is stopped at the end.
/// </summary>
public sealed class StorageServers : IDisposable
{
    public const string Container = "releases";
    public const string Bucket = "releases";
    /// <summary>Azurite's well-known development account key (public, but a secret as far as the code knows).</summary>
    public const string AzuriteKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
    /// <summary>s3rver accepts only its own key pair; the secret is checked by signature.</summary>
    public const string S3KeyId = "S3RVER", S3Secret = "S3RVER";

    public static string ServersDir => Path.Combine(TestPaths.RepoRoot, "tests", "SynthBuild.Releases.Storage.Tests", "servers");

    private readonly string _data = Directory.CreateTempSubdirectory("synth-storage-servers-").FullName;
    private readonly List<(Process Process, StringBuilder Log)> _processes = [];

    public int AzuritePort { get; }
    public int S3Port { get; }
    public TimeSpan StartupTime { get; }

    public StorageServers()
    {
        var watch = Stopwatch.StartNew();
        string bin = Path.Combine(ServersDir, "node_modules", ".bin");
        foreach (string tool in new[] { "azurite-blob", "s3rver" })
            if (!File.Exists(Path.Combine(bin, tool)))
                throw new InvalidOperationException($"The storage test servers are not installed: expected {Path.Combine(bin, tool)}. Run 'npm ci --prefix {ServersDir}' (.ci/run does) with Node 20 or later.");
        AzuritePort = FreePort();
        S3Port = FreePort();
        Start(Path.Combine(bin, "azurite-blob"), $"--silent --inMemoryPersistence --skipApiVersionCheck --disableTelemetry --blobHost 127.0.0.1 --blobPort {AzuritePort}");
        Directory.CreateDirectory(Path.Combine(_data, "s3"));
        Start(Path.Combine(bin, "s3rver"), $"--silent --address 127.0.0.1 --port {S3Port} --directory {Path.Combine(_data, "s3")} --configure-bucket {Bucket}");
        WaitForPort(AzuritePort, "azurite-blob", _processes[0]);
        WaitForPort(S3Port, "s3rver", _processes[1]);
        AzureContainer().CreateIfNotExists();
        StartupTime = watch.Elapsed;
    }

    public string AzureConnectionString(int? port = null) =>
        $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={AzuriteKey};BlobEndpoint=http://127.0.0.1:{port ?? AzuritePort}/devstoreaccount1;";

    public Dictionary<string, string> AzureEnv(int? port = null) => new() { ["AZURE_STORAGE_CONNECTION_STRING"] = AzureConnectionString(port) };

    public Dictionary<string, string> S3Env(int? port = null, string secret = S3Secret) => new()
    {
        ["AWS_ACCESS_KEY_ID"] = S3KeyId, ["AWS_SECRET_ACCESS_KEY"] = secret, ["AWS_REGION"] = "us-east-1",
        ["AWS_ENDPOINT_URL_S3"] = $"http://127.0.0.1:{port ?? S3Port}",
    };

    /// <summary>The test's own SDK clients, to look at and tamper with what the code under test stored.</summary>
    public BlobContainerClient AzureContainer() => new BlobServiceClient(AzureConnectionString()).GetBlobContainerClient(Container);

    public AmazonS3Client S3Client() => new(new BasicAWSCredentials(S3KeyId, S3Secret), new AmazonS3Config
    {
        ServiceURL = $"http://127.0.0.1:{S3Port}", ForcePathStyle = true, AuthenticationRegion = "us-east-1",
        RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
        ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
    });

    private void Start(string file, string args)
    {
        var psi = new ProcessStartInfo(file, args) { WorkingDirectory = _data, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        var log = new StringBuilder();
        var p = new Process { StartInfo = psi };
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.AppendLine(e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.AppendLine(e.Data); };
        p.Start();
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        _processes.Add((p, log));
    }

    private static void WaitForPort(int port, string name, (Process Process, StringBuilder Log) server)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (server.Process.HasExited)
                throw new InvalidOperationException($"{name} exited with code {server.Process.ExitCode} before listening on port {port}:\n{server.Log}");
            try
            {
                using var client = new TcpClient();
                client.Connect(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException) { Thread.Sleep(100); }
        }
        throw new TimeoutException($"{name} did not listen on port {port} within 60 s:\n{server.Log}");
    }

    public static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    public void Dispose()
    {
        foreach (var (p, _) in _processes)
        {
            try { if (!p.HasExited) p.Kill(entireProcessTree: true); p.WaitForExit(5000); } catch (InvalidOperationException) { }
            p.Dispose();
        }
        try { Directory.Delete(_data, recursive: true); } catch (IOException) { }
    }
}
