// Headless Chromium through Selenium: loads the playground, runs a streamed generation from it, loads the Swagger
// UI at /docs/ (offline) and runs "Try it out" on POST /generate; screenshots land in target/. Skipped with a
// message only when chromium is absent.
package dev.gpt2.server;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.startsWith;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;

import io.helidon.config.Config;
import io.helidon.webserver.WebServer;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

class BrowserTest {
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    private static final Path OUT = Path.of(System.getProperty("gpt2.test.out.dir", "target"));

    @Test
    void playgroundStreamsAGenerationAndSwaggerUiTriesGenerate() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
                "SKIPPED: chromium/chromedriver not installed (apt-get install -y chromium chromium-driver)");
        ModelHolder models = ModelHolder.of(TestModels.load(2, 8, TestModels.N_CTX), "tiny-test");
        ServerSettings settings = TestModels.settings(Duration.ofSeconds(60));
        WebServer server = Main.server(Config.empty(), models, new ServerMetrics(), settings).port(0)
                .build().start();
        Path profile = Files.createTempDirectory("gpt2-chromium");
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--window-size=1100,1000", "--user-data-dir=" + profile);
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(CHROMEDRIVER.toFile()).usingAnyFreePort().build();
        ChromeDriver driver = new ChromeDriver(service, options);
        try {
            String base = "http://localhost:" + server.port();
            driver.get(base + "/");
            WebElement warning = driver.findElement(By.id("random-warning"));
            await(warning::isDisplayed, "the random-weights warning");
            assertThat(driver.findElement(By.id("model")).getText(), containsString("RANDOM WEIGHTS"));
            WebElement max = driver.findElement(By.id("max_new_tokens"));
            max.clear();
            max.sendKeys("12");
            driver.findElement(By.id("seed")).sendKeys("5");
            driver.findElement(By.id("generate")).click();
            WebElement status = driver.findElement(By.id("status"));
            await(() -> status.getText().startsWith("done"), "the generation to finish");
            assertThat(status.getText(), containsString("12 tokens"));
            assertThat(driver.findElement(By.id("generated")).getText().length(), greaterThan(0));
            // the prompt and the completion look different (grey vs highlighted), and the page has its icon
            WebElement prompt = driver.findElement(By.cssSelector("#output .prompt"));
            WebElement completion = driver.findElement(By.cssSelector("#output .completion"));
            assertThat(prompt.getText(), is("The meaning of life is"));
            assertThat(completion.getCssValue("background-color").equals(prompt.getCssValue("background-color"))
                    && completion.getCssValue("color").equals(prompt.getCssValue("color")), is(false));
            assertThat(driver.findElement(By.cssSelector("link[rel=icon]")).getAttribute("href"),
                    containsString("/static/favicon.svg"));
            Object iconWidth = driver.executeAsyncScript("const done = arguments[0]; const img = new Image();"
                    + "img.onload = () => done(img.naturalWidth); img.onerror = () => done(-1);"
                    + "img.src = document.querySelector('link[rel=icon]').href;");
            assertThat(((Number) iconWidth).intValue(), greaterThan(0));
            screenshot(driver, "playground.png");

            // Swagger UI (the webjar) renders /openapi; "Try it out" on POST /generate sends the example body
            driver.get(base + "/docs/");
            await(() -> driver.findElements(By.cssSelector(".opblock")).size() > 10, "Swagger UI to render /openapi");
            screenshot(driver, "docs.png");
            assertThat(driver.getTitle(), containsString("API docs"));
            WebElement op = driver.findElement(By.xpath(
                    "//div[contains(@class,'opblock-post')][.//*[@data-path='/generate']]"));
            op.findElement(By.cssSelector(".opblock-summary")).click();
            await(() -> !op.findElements(By.cssSelector(".try-out__btn")).isEmpty(), "the operation to open");
            op.findElement(By.cssSelector(".try-out__btn")).click();
            await(() -> !op.findElements(By.cssSelector(".execute")).isEmpty(), "the Execute button");
            op.findElement(By.cssSelector(".execute")).click();
            By tryStatus = By.cssSelector(".live-responses-table .response .response-col_status");
            await(() -> !op.findElements(tryStatus).isEmpty(), "Try it out to answer");
            assertThat(op.findElement(tryStatus).getText(), startsWith("200"));
            WebElement live = op.findElement(By.cssSelector(".live-responses-table"));
            await(() -> live.getText().contains("generated_text"), "the response body to show");
            driver.executeScript("arguments[0].scrollIntoView()", live);
            screenshot(driver, "docs-try-it.png");
            // offline: every resource the page loaded came from this server (no CDN)
            List<?> urls = (List<?>) driver.executeScript(
                    "return performance.getEntriesByType('resource').map(e => e.name);");
            assertThat(urls.isEmpty(), is(false));
            for (Object url : urls) {
                assertThat(String.valueOf(url), startsWith(base + "/"));
            }
        } finally {
            driver.quit();
            server.stop();
            models.close();
        }
    }

    private static void await(Supplier<Boolean> condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            if (condition.get()) {
                return;
            }
            Thread.sleep(50);
        }
        assertThat("timed out waiting for " + what, false, is(true));
    }

    private static void screenshot(ChromeDriver driver, String name) throws Exception {
        File shot = ((TakesScreenshot) driver).getScreenshotAs(OutputType.FILE);
        Files.copy(shot.toPath(), OUT.resolve(name), StandardCopyOption.REPLACE_EXISTING);
    }
}
