package s3test

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
)

// process is a server process running in its own process group, with its
// data, log and empty AWS config files in a temporary directory.
type process struct {
	cmd         *exec.Cmd
	dir         string // removed by stop
	logPath     string
	logFile     *os.File
	emptyConfig string        // empty AWS_CONFIG_FILE for Server.Env
	emptyCreds  string        // empty AWS_SHARED_CREDENTIALS_FILE for Server.Env
	exited      chan struct{} // closed once the process has exited
	waitErr     error         // cmd.Wait's result, set before exited closes
	stopOnce    sync.Once
}

// newProcessDir creates the temporary directory layout for a server of kind.
func newProcessDir(kind string) (*process, error) {
	dir, err := os.MkdirTemp("", "s3test-"+kind+"-")
	if err != nil {
		return nil, fmt.Errorf("creating temp dir: %w", err)
	}
	p := &process{
		dir:         dir,
		logPath:     filepath.Join(dir, "server.log"),
		emptyConfig: filepath.Join(dir, "aws-config"),
		emptyCreds:  filepath.Join(dir, "aws-credentials"),
		exited:      make(chan struct{}),
	}
	if err := p.populate(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return p, nil
}

// dataDir is where the server keeps its objects.
func (p *process) dataDir() string { return filepath.Join(p.dir, "data") }

// populate creates the data directory and the empty AWS config files.
func (p *process) populate() error {
	if err := os.Mkdir(p.dataDir(), 0o755); err != nil {
		return fmt.Errorf("creating data dir: %w", err)
	}
	for _, path := range []string{p.emptyConfig, p.emptyCreds} {
		if err := os.WriteFile(path, nil, 0o644); err != nil {
			return fmt.Errorf("creating empty AWS config file: %w", err)
		}
	}
	return nil
}

// start runs cmd in its own process group with output going to the log file.
func (p *process) start(cmd *exec.Cmd) error {
	f, err := os.Create(p.logPath)
	if err != nil {
		return fmt.Errorf("creating server log: %w", err)
	}
	cmd.Dir = p.dir
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		f.Close()
		return fmt.Errorf("running %s: %w", cmd.Path, err)
	}
	p.cmd, p.logFile = cmd, f
	go func() {
		p.waitErr = cmd.Wait()
		close(p.exited)
	}()
	return nil
}

// stop kills the whole process group (see killGroup), waits for the server to exit and
// removes the temporary directory. It is safe to call more than once.
func (p *process) stop() {
	p.stopOnce.Do(func() {
		if p.cmd != nil {
			killGroup(p.cmd.Process)
			<-p.exited
			p.logFile.Close()
		}
		os.RemoveAll(p.dir)
	})
}

// hasExited reports whether the server process has already exited.
func (p *process) hasExited() bool {
	select {
	case <-p.exited:
		return true
	default:
		return false
	}
}

// exitErr describes how an exited process ended.
func (p *process) exitErr() error {
	<-p.exited
	if p.waitErr == nil {
		return errors.New("exit status 0")
	}
	return p.waitErr
}

// logTail returns the last lines of the server log, for error messages.
func (p *process) logTail() string {
	const maxLines = 40
	data, err := os.ReadFile(p.logPath)
	if err != nil {
		return fmt.Sprintf("(cannot read server log: %v)", err)
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > maxLines {
		lines = lines[len(lines)-maxLines:]
	}
	return strings.Join(lines, "\n")
}
