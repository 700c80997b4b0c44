using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using SynthBuild.TestSupport;

namespace SynthBuild.Lineage.Tests;

/// <summary>
/// MLFLOW_TRACKING_INSECURE_TLS, MLFLOW_TRACKING_SERVER_CERT_PATH and MLFLOW_TRACKING_CLIENT_CERT_PATH against an
/// in-process HTTPS server whose certificates (a private CA, a server and a client certificate) are made here.
/// </summary>
public sealed class MlflowTlsTests : IDisposable
{
    private readonly string _dir = SmallDataset.TempDir();
    private readonly TestPki _pki = new();

    public void Dispose() => _pki.Dispose();

    private string Write(string name, string text)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    private static MlflowSettings Settings(TlsServer server) =>
        new($"https://localhost:{server.Port}", MaxAttempts: 3, InitialBackoff: TimeSpan.FromMilliseconds(20), RequestTimeout: TimeSpan.FromSeconds(10));

    [Fact]
    public async Task A_server_with_a_private_CA_is_trusted_through_the_CA_bundle_and_refused_without_it()
    {
        using var server = new TlsServer(_pki.Server, requiredClient: null);
        string ca = Write("ca.pem", _pki.Ca.ExportCertificatePem());

        using (var client = new MlflowClient(Settings(server) with { ServerCertPath = ca }))
            Assert.Equal("7", await client.GetOrCreateExperimentAsync("tls"));
        Assert.Equal(1, server.Answered);

        // Without the bundle the system store does not know the CA: a clear error at once, no retries.
        int connections = server.Connections;
        using (var client = new MlflowClient(Settings(server)))
        {
            var ex = await Assert.ThrowsAsync<MlflowException>(() => client.GetOrCreateExperimentAsync("tls"));
            Assert.Contains("TLS handshake failed", ex.Message);
            Assert.Contains("MLFLOW_TRACKING_SERVER_CERT_PATH", ex.Message);
        }
        Assert.Equal(connections + 1, server.Connections);

        // The bundle is the only trust: another CA's bundle does not let this server through.
        using var other = new TestPki();
        string otherCa = Write("other-ca.pem", other.Ca.ExportCertificatePem());
        using (var client = new MlflowClient(Settings(server) with { ServerCertPath = otherCa }))
            await Assert.ThrowsAsync<MlflowException>(() => client.GetOrCreateExperimentAsync("tls"));
        Assert.Equal(1, server.Answered);
    }

    [Fact]
    public async Task Insecure_TLS_accepts_an_unknown_certificate()
    {
        using var server = new TlsServer(_pki.Server, requiredClient: null);
        using var client = new MlflowClient(Settings(server) with { InsecureTls = true });
        Assert.Equal("7", await client.GetOrCreateExperimentAsync("tls"));
    }

    [Fact]
    public async Task A_client_certificate_from_a_PEM_file_with_its_key_is_presented_to_a_server_that_requires_one()
    {
        using var server = new TlsServer(_pki.Server, requiredClient: _pki.Client);
        string ca = Write("ca.pem", _pki.Ca.ExportCertificatePem());
        string clientPem = Write("client.pem", _pki.Client.ExportCertificatePem() + "\n" + _pki.ClientKeyPem);

        using (var client = new MlflowClient(Settings(server) with { ServerCertPath = ca, ClientCertPath = clientPem }))
            Assert.Equal("7", await client.GetOrCreateExperimentAsync("tls"));
        Assert.Equal([_pki.Client.Thumbprint], server.ClientThumbprints.Distinct());

        using (var client = new MlflowClient(Settings(server) with { ServerCertPath = ca }))
            await Assert.ThrowsAnyAsync<MlflowException>(() => client.GetOrCreateExperimentAsync("tls"));
        Assert.Equal(1, server.Answered);

        // A certificate without its key is a clear configuration error naming the variable (and no secret).
        string certOnly = Write("cert-only.pem", _pki.Client.ExportCertificatePem());
        var ex = Assert.Throws<MlflowException>(() => new MlflowClient(Settings(server) with { ClientCertPath = certOnly }));
        Assert.Contains("MLFLOW_TRACKING_CLIENT_CERT_PATH", ex.Message);
        var noCa = Assert.Throws<MlflowException>(() => new MlflowClient(Settings(server) with { ServerCertPath = Write("empty.pem", "") }));
        Assert.Contains("MLFLOW_TRACKING_SERVER_CERT_PATH", noCa.Message);
    }

    /// <summary>A private CA with one server certificate (localhost, 127.0.0.1) and one client certificate.</summary>
    private sealed class TestPki : IDisposable
    {
        public TestPki()
        {
            var now = DateTimeOffset.UtcNow;
            using var caKey = RSA.Create(2048);
            var caRequest = new CertificateRequest("CN=SynthBuild Test CA", caKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
            caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
            caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false));
            Ca = caRequest.CreateSelfSigned(now.AddDays(-1), now.AddDays(2));
            (Server, _) = Issue("localhost", server: true, now);
            (Client, ClientKeyPem) = Issue("synthbuild-ci", server: false, now);
        }

        public X509Certificate2 Ca { get; }
        public X509Certificate2 Server { get; }
        public X509Certificate2 Client { get; }
        public string ClientKeyPem { get; }

        private (X509Certificate2, string) Issue(string name, bool server, DateTimeOffset now)
        {
            using var key = RSA.Create(2048);
            var request = new CertificateRequest("CN=" + name, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
                [new Oid(server ? "1.3.6.1.5.5.7.3.1" : "1.3.6.1.5.5.7.3.2")], false));
            request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Ca, true, false));
            if (server)
            {
                var san = new SubjectAlternativeNameBuilder();
                san.AddDnsName("localhost");
                san.AddIpAddress(IPAddress.Loopback);
                request.CertificateExtensions.Add(san.Build());
            }
            using var cert = request.Create(Ca, now.AddHours(-1), now.AddDays(1), RandomNumberGenerator.GetBytes(8));
            using var withKey = cert.CopyWithPrivateKey(key);
            return (X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null), key.ExportPkcs8PrivateKeyPem());
        }

        public void Dispose()
        {
            Ca.Dispose();
            Server.Dispose();
            Client.Dispose();
        }
    }

    /// <summary>
    /// HTTPS on a loopback port: TLS with the given certificate (and a required client certificate when named), then
    /// one HTTP/1.1 request per connection answered like experiments/get-by-name for an existing experiment "7".
    /// </summary>
    private sealed class TlsServer : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly X509Certificate2 _certificate;
        private readonly X509Certificate2? _requiredClient;
        private int _connections, _answered;

        public TlsServer(X509Certificate2 certificate, X509Certificate2? requiredClient)
        {
            _certificate = certificate;
            _requiredClient = requiredClient;
            _listener.Start();
            _ = Task.Run(Loop);
        }

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;
        public int Connections => Volatile.Read(ref _connections);
        public int Answered => Volatile.Read(ref _answered);
        public ConcurrentBag<string> ClientThumbprints { get; } = new();

        public void Dispose() => _listener.Stop();

        private async Task Loop()
        {
            while (true)
            {
                TcpClient tcp;
                try { tcp = await _listener.AcceptTcpClientAsync(); }
                catch (Exception) { return; }
                Interlocked.Increment(ref _connections);
                _ = Task.Run(() => Serve(tcp));
            }
        }

        private async Task Serve(TcpClient tcp)
        {
            using var _ = tcp;
            try
            {
                using var tls = new SslStream(tcp.GetStream(), false);
                await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
                {
                    ServerCertificate = _certificate,
                    ClientCertificateRequired = _requiredClient is not null,
                    RemoteCertificateValidationCallback = (_, cert, _, _) =>
                        _requiredClient is null || cert is not null && cert.GetCertHashString() == _requiredClient.Thumbprint,
                });
                if (tls.RemoteCertificate is { } client) ClientThumbprints.Add(client.GetCertHashString());
                if (_requiredClient is not null && tls.RemoteCertificate is null) return;

                // The request head (GET: no body).
                var head = new StringBuilder();
                var buffer = new byte[1];
                while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
                {
                    if (await tls.ReadAsync(buffer) == 0) return;
                    head.Append((char)buffer[0]);
                }
                byte[] body = """{"experiment":{"experiment_id":"7","name":"tls","lifecycle_stage":"active"}}"""u8.ToArray();
                byte[] answer = Encoding.ASCII.GetBytes(
                    $"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n");
                await tls.WriteAsync(answer);
                await tls.WriteAsync(body);
                await tls.FlushAsync();
                Interlocked.Increment(ref _answered);
            }
            catch (Exception ex) when (ex is IOException or System.Security.Authentication.AuthenticationException or ObjectDisposedException)
            {
                // A refused handshake: the client reports it.
            }
        }
    }
}
