using System.Net;
using System.Text;
using DeepSim.Web.Services;

namespace DeepSim.Web.Tests;

public class ApiProblemTests
{
    private static Task<ApiProblemException> ReadAsync(HttpStatusCode status, string body)
    {
        using var response = new HttpResponseMessage(status) { Content = new StringContent(body, Encoding.UTF8, "application/problem+json") };
        return ApiProblemException.ReadAsync(response, CancellationToken.None);
    }

    [Fact]
    public async Task Field_errors_are_kept_by_path_and_found_for_a_field_and_its_sub_paths()
    {
        var problem = await ReadAsync(HttpStatusCode.BadRequest,
            """{"type":"validation","title":"One or more validation errors occurred.","status":400,"errors":{"password":["must be 10 to 256 characters"],"content.units[1].spec.temperature":["is required"]}}""");

        Assert.Equal("must be 10 to 256 characters", problem.ErrorFor("password"));
        Assert.Equal("is required", problem.ErrorFor("content"));
        Assert.Null(problem.ErrorFor("email"));
    }

    [Fact]
    public async Task A_refusal_says_which_permission_is_missing()
    {
        var problem = await ReadAsync(HttpStatusCode.Forbidden,
            """{"type":"forbidden","status":403,"detail":"Your role does not allow this: it needs the permission 'runs.execute'.","requiredPermission":"runs.execute"}""");

        Assert.Contains("“runs.execute”", problem.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_server_error_never_shows_its_body_only_the_trace_id()
    {
        var problem = await ReadAsync(HttpStatusCode.InternalServerError, """{"status":500,"detail":"System.NullReferenceException at Foo.Bar()","traceId":"00-abc-01"}""");

        Assert.DoesNotContain("NullReference", problem.Summary, StringComparison.Ordinal);
        Assert.Contains("00-abc-01", problem.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_body_that_is_not_a_problem_still_gives_a_readable_refusal()
    {
        var problem = await ReadAsync(HttpStatusCode.NotFound, "<html>nope</html>");

        Assert.Equal(HttpStatusCode.NotFound, problem.Status);
        Assert.Contains("Not found", problem.Summary, StringComparison.Ordinal);
    }
}
